using System.Collections.Immutable;
using System.Text;
using ActSearch.Expressions;
using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>What a catalog listing asks for: an order, and optionally only formulas containing a text or functions scored on a task.</summary>
public sealed record CatalogQuery(CatalogOrder Order, string? Text = null, string? Task = null, int Page = 1, int PageSize = 50)
{
    /// <summary>The number of matches when the caller already knows it (counting is the listing's costly part); null: count.</summary>
    public long? KnownTotal { get; init; }
}

/// <summary>How many scores the catalog holds for one objective on one task, and which way it is better.</summary>
public sealed record CatalogRanking(string Objective, string? Task, ScoreGoal Goal, long Count);

/// <summary>How many of a job's candidates ended one way (kind, and stage for rejections), and the seconds they cost.</summary>
public sealed record OutcomeTally(string Kind, string? Stage, long Count, double Seconds, bool Cached = false, int Rung = 0);

/// <summary>What a job's latest checkpoint says about its progress (the engine's counters).</summary>
public sealed record CheckpointProgress(int Generation, long Scored, long CacheHits);

/// <summary>An evaluated candidate: its objective values (job's objective order) and the genome it became.</summary>
/// <remarks><see cref="Rung"/>: the fidelity rung the values come from, the candidate's highest evaluated one.</remarks>
public sealed record EvaluatedCandidate(long CandidateId, int Generation, string GenomeJson, Fingerprint Fingerprint, ImmutableArray<double> Objectives, string? RefinedGenomeJson, string Operator = "", int Rung = 0);

/// <summary>A job in which a function was found, and the (first) candidate that was it.</summary>
public sealed record Sighting(Guid JobId, string JobName, long CandidateId);

/// <summary>
/// Read-only queries for browsing (the HTTP API and the web UI): job listings with counts, the evaluated candidates
/// a front is worked out from, the rejection funnel, and catalog listings filtered by task. Plain parameterized SQL
/// over the storage's data source, each query one round trip or two; nothing here writes.
/// </summary>
public sealed class BrowseQueries
{
    private const string JobColumns = JobRepository.Columns;

    private readonly Db _db;

    public BrowseQueries(ActSearchStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _db = new Db(storage.DataSource, RetryOptions.Default);
    }

    /// <summary>True when the database answers a trivial query.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellation = default)
    {
        await using var c = await _db.Source.OpenConnectionAsync(cancellation).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT 1", c);
        return (int)(await cmd.ExecuteScalarAsync(cancellation).ConfigureAwait(false))! == 1;
    }

    /// <summary>
    /// One page of jobs written by a job host (rows with details; stubs are left out), newest first, optionally in
    /// one status, with the number of such jobs in all.
    /// </summary>
    public Task<(List<JobRecord> Items, long Total)> ListJobsAsync(JobStatus? status, int page, int pageSize, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        string? name = status is { } s ? JobRepository.Name(s) : null;
        return _db.ReadAsync(async (c, ct) =>
        {
            var items = new List<JobRecord>();
            await using (var cmd = Db.Command(c, null, $"""
                SELECT {JobColumns} FROM jobs WHERE details IS NOT NULL AND ($1::text IS NULL OR status = $1)
                ORDER BY created_at DESC, id LIMIT $2 OFFSET $3
                """, Text(name), pageSize, (page - 1) * (long)pageSize))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
                while (await r.ReadAsync(ct).ConfigureAwait(false)) items.Add(JobRepository.Read(r));
            await using var count = Db.Command(c, null, "SELECT count(*) FROM jobs WHERE details IS NOT NULL AND ($1::text IS NULL OR status = $1)", Text(name));
            return (items, (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!);
        }, cancellation);
    }

    /// <summary>The outcomes of the given jobs counted by fidelity rung, kind and stage, with the seconds they cost.</summary>
    public async Task<Dictionary<Guid, List<OutcomeTally>>> TallyAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var result = jobIds.Distinct().ToDictionary(id => id, _ => new List<OutcomeTally>());
        if (result.Count == 0) return result;
        var rows = await _db.QueryAsync("""
            SELECT job_id, kind, stage, count(*), coalesce(sum(seconds), 0), cached, rung FROM outcomes WHERE job_id = ANY($1)
            GROUP BY job_id, rung, kind, stage, cached ORDER BY job_id, rung, kind, stage, cached
            """, r => (r.GetGuid(0), new OutcomeTally(r.GetString(1), Db.NullableString(r, 2), r.GetInt64(3), r.GetDouble(4), r.GetBoolean(5), r.GetInt32(6))),
            cancellation, result.Keys.ToArray()).ConfigureAwait(false);
        foreach (var (job, tally) in rows) result[job].Add(tally);
        return result;
    }

    /// <summary>The engine's counters in a job's latest checkpoint, or null before its first one.</summary>
    public async Task<CheckpointProgress?> LatestProgressAsync(Guid jobId, CancellationToken cancellation = default) =>
        (await _db.QueryAsync("""
            SELECT generation, (state->'statistics'->>'scored')::bigint, (state->'statistics'->>'cacheHits')::bigint
            FROM checkpoints WHERE job_id = $1 ORDER BY generation DESC LIMIT 1
            """, r => new CheckpointProgress(r.GetInt32(0), r.IsDBNull(1) ? 0 : r.GetInt64(1), r.IsDBNull(2) ? 0 : r.GetInt64(2)),
            cancellation, jobId).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>
    /// A job's evaluated candidates with their objective values at their highest evaluated fidelity rung, in id order (what
    /// its fronts are made of).
    /// </summary>
    public Task<List<EvaluatedCandidate>> EvaluatedAsync(Guid jobId, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT DISTINCT ON (c.id) c.id, c.generation, c.genome::text, c.fingerprint, o.objectives, o.refined::text, c.operator, o.rung
            FROM outcomes o JOIN candidates c ON c.job_id = o.job_id AND c.id = o.candidate_id
            WHERE o.job_id = $1 AND o.kind = 'evaluated' AND o.objectives IS NOT NULL
            ORDER BY c.id, o.rung DESC
            """, r => new EvaluatedCandidate(r.GetInt64(0), r.GetInt32(1), r.GetString(2), new Fingerprint(Db.Unsigned(r.GetInt64(3))),
                [.. r.GetFieldValue<double[]>(4)], Db.NullableString(r, 5), r.GetString(6), r.GetInt32(7)), cancellation, jobId);

    /// <summary>The generations a job's recorded candidates belong to, ascending.</summary>
    public Task<List<int>> GenerationsAsync(Guid jobId, CancellationToken cancellation = default) =>
        _db.QueryAsync("SELECT DISTINCT generation FROM candidates WHERE job_id = $1 ORDER BY generation",
            r => r.GetInt32(0), cancellation, jobId);

    /// <summary>For every objective and task in the catalog: how many functions have a score, and the goal.</summary>
    public Task<List<CatalogRanking>> RankingsAsync(CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT objective, task, bool_or(maximize), count(*) FROM catalog_scores GROUP BY objective, task ORDER BY objective, task
            """, r => new CatalogRanking(r.GetString(0), r.GetString(1) is { Length: > 0 } t ? t : null,
                r.GetBoolean(2) ? ScoreGoal.Maximize : ScoreGoal.Minimize, r.GetInt64(3)), cancellation);

    /// <summary>
    /// One page of the catalog: by score (functions without that score left out) or most recent first; only
    /// formulas containing <see cref="CatalogQuery.Text"/> (case-insensitive) and, with <see cref="CatalogQuery.Task"/>,
    /// only functions with a score on that task. Returns the page's entries and the number of matches in all.
    /// </summary>
    public Task<CatalogPage> SearchCatalogAsync(CatalogQuery query, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1);
        string? pattern = string.IsNullOrEmpty(query.Text) ? null : "%" + EscapeLike(query.Text) + "%";
        // Only fixed SQL fragments are spliced in; every value is a parameter:
        // $1 pattern, $2 task filter, $3 objective, $4 score task.
        const string Filter = """
            WHERE ($1::text IS NULL OR c.formula ILIKE $1)
              AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM catalog_scores f WHERE f.fingerprint = c.fingerprint AND f.task = $2))
            """;
        string from, orderBy;
        Func<object?[]> args; // fresh parameters for every command (a parameter belongs to one command)
        if (query.Order is CatalogOrder.ByScore s)
        {
            from = "catalog c JOIN catalog_scores s ON s.fingerprint = c.fingerprint AND s.objective = $3 AND s.task = $4";
            orderBy = s.Goal == ScoreGoal.Maximize ? "s.best DESC, s.fingerprint DESC" : "s.best, s.fingerprint";
            args = () => [Text(pattern), Text(query.Task), s.Objective, s.Task ?? ""];
        }
        else
        {
            from = "catalog c";
            orderBy = "c.last_seen DESC, c.fingerprint";
            args = () => [Text(pattern), Text(query.Task)];
        }
        int n = args().Length;
        return _db.ReadAsync(async (c, ct) =>
        {
            var ids = new List<long>();
            await using (var cmd = Db.Command(c, null, $"SELECT c.fingerprint FROM {from} {Filter} ORDER BY {orderBy} LIMIT ${n + 1} OFFSET ${n + 2}",
                [.. args(), query.PageSize, (query.Page - 1) * (long)query.PageSize]))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
                while (await r.ReadAsync(ct).ConfigureAwait(false)) ids.Add(r.GetInt64(0));
            var items = await CatalogRepository.LoadAsync(c, ids, ct).ConfigureAwait(false);
            if (query.KnownTotal is { } known) return new CatalogPage(items, known, query.Page, query.PageSize);
            await using var count = Db.Command(c, null, $"SELECT count(*) FROM {from} {Filter}", args());
            long total = (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            return new CatalogPage(items, total, query.Page, query.PageSize);
        }, cancellation);
    }

    /// <summary>Every feature vector kept for a function (<see cref="FeatureRepository.OfAsync"/>).</summary>
    public Task<List<FeatureRecord>> FeaturesAsync(Fingerprint fingerprint, CancellationToken cancellation = default) =>
        new FeatureRepository(_db).OfAsync(fingerprint, cancellation);

    /// <summary>
    /// The jobs in which a function was found: jobs with a candidate of that fingerprint, and jobs that scored the
    /// function's best values (a tuned candidate's function differs from its proposed genome's), oldest job first.
    /// </summary>
    public Task<List<Sighting>> SightingsAsync(Fingerprint fingerprint, int limit = 100, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            WITH hits AS (
                SELECT job_id, min(id) AS candidate_id FROM candidates WHERE fingerprint = $1 GROUP BY job_id
                UNION ALL
                SELECT job_id, candidate_id FROM catalog_scores WHERE fingerprint = $1
            )
            SELECT h.job_id, coalesce(j.name, ''), min(h.candidate_id), min(j.created_at) AS created
            FROM hits h LEFT JOIN jobs j ON j.id = h.job_id
            GROUP BY h.job_id, j.name
            ORDER BY created NULLS LAST, h.job_id
            LIMIT $2
            """, r => new Sighting(r.GetGuid(0), r.GetString(1), r.GetInt64(2)), cancellation, Db.Bits(fingerprint.Value), limit);

    /// <summary>Catalog entries by fingerprint (missing ones left out), in the order asked.</summary>
    public Task<List<CatalogEntry>> CatalogEntriesAsync(IReadOnlyList<Fingerprint> fingerprints, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(fingerprints);
        return _db.ReadAsync((c, ct) => CatalogRepository.LoadAsync(c, [.. fingerprints.Select(f => Db.Bits(f.Value))], ct), cancellation);
    }

    private static NpgsqlParameter Text(string? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static string EscapeLike(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char ch in text)
        {
            if (ch is '%' or '_' or '\\') sb.Append('\\');
            sb.Append(ch);
        }
        return sb.ToString();
    }
}
