using System.Collections.Immutable;
using System.Text;
using ActSearch.Expressions;
using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>How a catalog listing is ordered.</summary>
public abstract record CatalogOrder
{
    private CatalogOrder() { }

    /// <summary>Best first by one objective on one task (null: not task-specific); functions without that score are left out.</summary>
    public sealed record ByScore(string Objective, string? Task = null, ScoreGoal Goal = ScoreGoal.Maximize) : CatalogOrder;

    /// <summary>Most recently seen first.</summary>
    public sealed record Recent : CatalogOrder;
}

/// <summary>
/// The activation catalog: one entry per function (fingerprint) across all jobs. Recording a sighting of a
/// known function bumps its count and latest job and keeps, per objective and task, the best value (by the
/// objective's goal) with the candidate that scored it; the shortest formula text represents the function.
/// </summary>
public sealed class CatalogRepository
{
    private readonly Db _db;

    internal CatalogRepository(Db db) => _db = db;

    /// <summary>Records evaluated candidates in one transaction. Non-finite scores are ignored (they cannot rank).</summary>
    public Task RecordAsync(IReadOnlyCollection<CatalogObservation> observations, CancellationToken cancellation = default) =>
        _db.InTransactionAsync((c, tx, ct) => WriteAsync(c, tx, observations, ct), cancellation);

    public async Task<CatalogEntry?> GetAsync(Fingerprint fingerprint, CancellationToken cancellation = default) =>
        (await _db.ReadAsync((c, ct) => LoadAsync(c, [Db.Bits(fingerprint.Value)], ct), cancellation).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>The <paramref name="count"/> best functions by one objective on one task ("top 50 by accuracy on fmnist").</summary>
    public Task<List<CatalogEntry>> TopAsync(string objective, string? task, int count, ScoreGoal goal = ScoreGoal.Maximize, CancellationToken cancellation = default) =>
        _db.ReadAsync(async (c, ct) =>
        {
            var ids = await IdsAsync(c, new CatalogOrder.ByScore(objective, task, goal), null, count, 0, ct).ConfigureAwait(false);
            return await LoadAsync(c, ids, ct).ConfigureAwait(false);
        }, cancellation);

    /// <summary>
    /// Every function with a value of one objective on one task (null: not task-specific), most recently seen first, up to
    /// <paramref name="count"/>: what a search's surrogate starts from (functions good and bad alike, unlike <see cref="TopAsync"/>).
    /// </summary>
    public Task<List<CatalogMeasurement>> MeasuredAsync(string objective, string? task, int count, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 0);
        return _db.QueryAsync(
            """
            SELECT c.fingerprint, c.formula, s.best, c.first_seen, c.last_seen FROM catalog c
            JOIN catalog_scores s ON s.fingerprint = c.fingerprint AND s.objective = $1 AND s.task = $2
            ORDER BY c.last_seen DESC, c.fingerprint LIMIT $3
            """,
            r => new CatalogMeasurement(new Fingerprint(unchecked((ulong)r.GetInt64(0))), r.GetString(1), r.GetDouble(2), r.GetFieldValue<DateTimeOffset>(3), r.GetFieldValue<DateTimeOffset>(4)),
            cancellation, objective, task ?? "", count);
    }

    /// <summary>
    /// One page (1-based) of the catalog, optionally only functions whose formula contains <paramref name="text"/>
    /// (case-insensitive), with the number of matches in all.
    /// </summary>
    public Task<CatalogPage> SearchAsync(string? text, CatalogOrder order, int page = 1, int pageSize = 50, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        return _db.ReadAsync(async (c, ct) =>
        {
            string? pattern = string.IsNullOrEmpty(text) ? null : "%" + EscapeLike(text) + "%";
            var ids = await IdsAsync(c, order, pattern, pageSize, (page - 1) * (long)pageSize, ct).ConfigureAwait(false);
            var items = await LoadAsync(c, ids, ct).ConfigureAwait(false);
            var (join, where, _) = Parts(order);
            await using var count = Db.Command(c, null, $"SELECT count(*) FROM catalog c {join} {where}", Args(order, pattern));
            long total = (long)(await count.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            return new CatalogPage(items, total, page, pageSize);
        }, cancellation);
    }

    // Only fixed SQL fragments are spliced in; every value is a parameter ($1 objective, $2 task, $3 pattern).
    private static (string Join, string Where, string OrderBy) Parts(CatalogOrder order) => order switch
    {
        CatalogOrder.ByScore s => (
            "JOIN catalog_scores s ON s.fingerprint = c.fingerprint AND s.objective = $1 AND s.task = $2",
            "WHERE ($3::text IS NULL OR c.formula ILIKE $3)",
            s.Goal == ScoreGoal.Maximize ? "s.best DESC, s.fingerprint DESC" : "s.best, s.fingerprint"),
        _ => ("", "WHERE ($1::text IS NULL OR c.formula ILIKE $1)", "c.last_seen DESC, c.fingerprint"),
    };

    private static object?[] Args(CatalogOrder order, string? pattern, params object[] more) => order switch
    {
        CatalogOrder.ByScore s => [s.Objective, s.Task ?? "", Text(pattern), .. more],
        _ => [Text(pattern), .. more],
    };

    private static NpgsqlParameter Text(string? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task<List<long>> IdsAsync(NpgsqlConnection c, CatalogOrder order, string? pattern, int limit, long offset, CancellationToken ct)
    {
        var (join, where, orderBy) = Parts(order);
        var args = Args(order, pattern, limit, offset);
        int n = args.Length;
        await using var cmd = Db.Command(c, null, $"SELECT c.fingerprint FROM catalog c {join} {where} ORDER BY {orderBy} LIMIT ${n - 1} OFFSET ${n}", args);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ids = new List<long>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>Entries with all their best scores, in the order of <paramref name="ids"/>.</summary>
    internal static async Task<List<CatalogEntry>> LoadAsync(NpgsqlConnection c, IReadOnlyList<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var array = ids.ToArray();
        var scores = new Dictionary<long, List<CatalogScore>>();
        await using (var cmd = Db.Command(c, null, """
            SELECT fingerprint, objective, task, best, maximize, job_id, candidate_id
            FROM catalog_scores WHERE fingerprint = ANY($1) ORDER BY fingerprint, objective, task
            """, array))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                string task = r.GetString(2);
                var s = new CatalogScore(r.GetString(1), task.Length == 0 ? null : task, r.GetDouble(3),
                    r.GetBoolean(4) ? ScoreGoal.Maximize : ScoreGoal.Minimize, r.GetGuid(5), r.GetInt64(6));
                if (!scores.TryGetValue(r.GetInt64(0), out var list)) scores[r.GetInt64(0)] = list = [];
                list.Add(s);
            }
        var entries = new Dictionary<long, CatalogEntry>();
        await using (var cmd = Db.Command(c, null, """
            SELECT fingerprint, formula, first_job, latest_job, times_seen, first_seen, last_seen FROM catalog WHERE fingerprint = ANY($1)
            """, array))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                long fp = r.GetInt64(0);
                entries[fp] = new CatalogEntry(new Fingerprint(Db.Unsigned(fp)), r.GetString(1), r.GetGuid(2), r.GetGuid(3), r.GetInt32(4),
                    r.GetFieldValue<DateTimeOffset>(5), r.GetFieldValue<DateTimeOffset>(6),
                    scores.TryGetValue(fp, out var list) ? [.. list] : ImmutableArray<CatalogScore>.Empty);
            }
        return [.. ids.Where(entries.ContainsKey).Select(id => entries[id])];
    }

    internal static async Task WriteAsync(NpgsqlConnection c, NpgsqlTransaction? tx, IReadOnlyCollection<CatalogObservation> observations, CancellationToken ct)
    {
        if (observations.Count == 0) return;
        // One row per fingerprint and per (fingerprint, objective, task): ON CONFLICT may touch a row only once per statement.
        var functions = new Dictionary<long, (string Formula, Guid First, Guid Latest, int Count)>();
        var best = new Dictionary<(long, string, string), (ObservedScore Score, Guid Job, long Candidate)>();
        foreach (var o in observations)
        {
            long fp = Db.Bits(o.Fingerprint.Value);
            functions[fp] = functions.TryGetValue(fp, out var f)
                ? (Shorter(f.Formula, o.Formula), f.First, o.JobId, f.Count + 1)
                : (o.Formula, o.JobId, o.JobId, 1);
            foreach (var s in o.Scores)
            {
                if (!double.IsFinite(s.Value)) continue;
                var key = (fp, s.Objective, s.Task ?? "");
                if (!best.TryGetValue(key, out var b) || Better(s, b.Score)) best[key] = (s, o.JobId, o.CandidateId);
            }
        }
        await Db.ExecuteAsync(c, tx, """
            INSERT INTO catalog AS c (fingerprint, formula, first_job, latest_job, times_seen, first_seen, last_seen)
            SELECT u.fp, u.formula, u.first_job, u.latest_job, u.n, now(), now()
            FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::uuid[], $5::integer[]) AS u(fp, formula, first_job, latest_job, n)
            ORDER BY u.fp -- a fixed lock order, so two writers of overlapping batches cannot deadlock
            ON CONFLICT (fingerprint) DO UPDATE SET
                formula = CASE WHEN length(excluded.formula) < length(c.formula) THEN excluded.formula ELSE c.formula END,
                latest_job = excluded.latest_job,
                times_seen = c.times_seen + excluded.times_seen,
                last_seen = excluded.last_seen
            """, ct,
            functions.Keys.ToArray(), functions.Values.Select(f => f.Formula).ToArray(), functions.Values.Select(f => f.First).ToArray(),
            functions.Values.Select(f => f.Latest).ToArray(), functions.Values.Select(f => f.Count).ToArray()).ConfigureAwait(false);
        if (best.Count == 0) return;
        var rows = best.OrderBy(kv => kv.Key).ToList();
        await Db.ExecuteAsync(c, tx, """
            INSERT INTO catalog_scores AS s (fingerprint, objective, task, maximize, best, job_id, candidate_id)
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::boolean[], $5::double precision[], $6::uuid[], $7::bigint[])
            ON CONFLICT (fingerprint, objective, task) DO UPDATE SET
                maximize = excluded.maximize, best = excluded.best, job_id = excluded.job_id, candidate_id = excluded.candidate_id
            WHERE (excluded.maximize AND excluded.best > s.best) OR (NOT excluded.maximize AND excluded.best < s.best)
            """, ct,
            rows.Select(r => r.Key.Item1).ToArray(), rows.Select(r => r.Key.Item2).ToArray(), rows.Select(r => r.Key.Item3).ToArray(),
            rows.Select(r => r.Value.Score.Goal == ScoreGoal.Maximize).ToArray(), rows.Select(r => r.Value.Score.Value).ToArray(),
            rows.Select(r => r.Value.Job).ToArray(), rows.Select(r => r.Value.Candidate).ToArray()).ConfigureAwait(false);
    }

    private static bool Better(ObservedScore a, ObservedScore b) => a.Goal == ScoreGoal.Maximize ? a.Value > b.Value : a.Value < b.Value;

    private static string Shorter(string a, string b) => b.Length < a.Length ? b : a;

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
