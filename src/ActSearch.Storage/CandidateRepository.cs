using ActSearch.Expressions;
using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>
/// Candidates, their outcomes and their scores, written in batches with binary COPY. A repeated batch (a retry after
/// a lost acknowledgement, a resumed generation) adds nothing twice: rows already stored are skipped (see
/// <c>CopyAsync</c>). A candidate ends in exactly one outcome: the first one stored stays.
/// </summary>
public sealed class CandidateRepository
{
    private readonly Db _db;

    internal CandidateRepository(Db db) => _db = db;

    /// <summary>Stores candidates in one transaction (all or none).</summary>
    public Task AddAsync(IReadOnlyCollection<CandidateRecord> candidates, CancellationToken cancellation = default) =>
        _db.InTransactionAsync((c, tx, ct) => WriteCandidatesAsync(c, candidates, ct), cancellation);

    /// <summary>Stores outcomes and scores in one transaction (all or none).</summary>
    public Task AddResultsAsync(IReadOnlyCollection<OutcomeRecord> outcomes, IReadOnlyCollection<ScoreRecord> scores, CancellationToken cancellation = default) =>
        _db.InTransactionAsync(async (c, tx, ct) =>
        {
            await WriteOutcomesAsync(c, outcomes, ct).ConfigureAwait(false);
            await WriteScoresAsync(c, scores, ct).ConfigureAwait(false);
        }, cancellation);

    /// <summary>
    /// Stores candidates that end Cancelled (what a stopped job never handed out), each with its outcome, in one
    /// transaction; a candidate that has an outcome already keeps it. With <paramref name="createMissingJob"/>, a job
    /// without a row gets a stub first. One COPY per table instead of a transaction per candidate: a stopped job with a
    /// generation of 100,000 writes its cancelled candidates in seconds, not minutes. <paramref name="rungs"/>: the fidelity
    /// rung of each one's outcome, in the same order (null: all at the lowest).
    /// </summary>
    public Task AddCancelledAsync(IReadOnlyList<CandidateRecord> candidates, bool createMissingJob = false, CancellationToken cancellation = default, IReadOnlyList<int>? rungs = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0) return Task.CompletedTask;
        if (rungs is not null && rungs.Count != candidates.Count) throw new ArgumentException("One rung per candidate.", nameof(rungs));
        OutcomeRecord[] outcomes = [.. candidates.Select((c, i) => new OutcomeRecord.Cancelled(c.JobId, c.Id, TimeSpan.Zero) { Rung = rungs?[i] ?? 0 })];
        return _db.InTransactionAsync(async (c, tx, ct) =>
        {
            if (createMissingJob)
                foreach (var job in candidates.Select(r => r.JobId).Distinct())
                    await JobRepository.EnsureAsync(c, tx, job, ct).ConfigureAwait(false);
            await WriteCandidatesAsync(c, candidates, ct).ConfigureAwait(false);
            await WriteOutcomesAsync(c, outcomes, ct).ConfigureAwait(false);
        }, cancellation);
    }

    public async Task<CandidateRecord?> GetAsync(Guid jobId, long id, CancellationToken cancellation = default) =>
        (await _db.QueryAsync($"{SelectCandidates} WHERE job_id = $1 AND id = $2", ReadCandidate, cancellation, jobId, id).ConfigureAwait(false))
            .FirstOrDefault();

    /// <summary>A job's candidates in id order, optionally of one generation.</summary>
    public Task<List<CandidateRecord>> ListAsync(Guid jobId, int? generation = null, CancellationToken cancellation = default) =>
        _db.QueryAsync($"{SelectCandidates} WHERE job_id = $1 AND ($2::integer IS NULL OR generation = $2) ORDER BY id",
            ReadCandidate, cancellation, jobId, generation);

    /// <summary>Every candidate of every job with this function, oldest job first ("has anyone found this before?").</summary>
    public Task<List<CandidateRecord>> FindByFingerprintAsync(Fingerprint fingerprint, CancellationToken cancellation = default) =>
        _db.QueryAsync($"{SelectCandidates} WHERE fingerprint = $1 ORDER BY job_id, id", ReadCandidate, cancellation, Db.Bits(fingerprint.Value));

    public Task<List<OutcomeRecord>> OutcomesAsync(Guid jobId, CancellationToken cancellation = default) =>
        _db.QueryAsync($"SELECT {OutcomeColumns} FROM outcomes WHERE job_id = $1 ORDER BY candidate_id, rung",
            r => ReadOutcome(r, 0), cancellation, jobId);

    /// <summary>
    /// Stores one candidate with its outcome, its scores and its catalog sighting, in one transaction, unless the
    /// candidate already has an outcome at that rung: the first outcome stays, and then nothing is written and the answer is false.
    /// Safe to call concurrently for one candidate (exactly one call gets true), and safe to retry: a call retried
    /// after its commit's answer was lost still answers true (the row names the write that stored it). With
    /// <paramref name="createMissingJob"/>, a job without a row gets a stub first (see <see cref="JobRepository"/>).
    /// </summary>
    public async Task<bool> RecordResultAsync(
        CandidateRecord candidate, OutcomeRecord outcome, IReadOnlyCollection<ScoreRecord> scores, CatalogObservation? sighting,
        bool createMissingJob = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(scores);
        if (outcome.JobId != candidate.JobId || outcome.CandidateId != candidate.Id)
            throw new ArgumentException("The outcome is not the candidate's.", nameof(outcome));
        if (scores.Any(s => s.JobId != candidate.JobId || s.CandidateId != candidate.Id || s.Rung != outcome.Rung))
            throw new ArgumentException("A score is not the candidate's.", nameof(scores));
        var writer = Guid.NewGuid(); // one per call, the same in every retried attempt
        bool stored = false;
        await _db.InTransactionAsync(async (c, tx, ct) =>
        {
            stored = false;
            if (createMissingJob) await JobRepository.EnsureAsync(c, tx, candidate.JobId, ct).ConfigureAwait(false);
            await Db.ExecuteAsync(c, tx, """
                INSERT INTO candidates (job_id, id, generation, formula, genome, fingerprint, parent_ids, operator)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (job_id, id) DO NOTHING
                """, ct,
                candidate.JobId, candidate.Id, candidate.Generation, candidate.Formula,
                new NpgsqlParameter { Value = candidate.GenomeJson, NpgsqlDbType = NpgsqlDbType.Json },
                Db.Bits(candidate.Fingerprint.Value),
                new NpgsqlParameter { Value = candidate.ParentIds.IsDefault ? Array.Empty<long>() : candidate.ParentIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
                candidate.Operator).ConfigureAwait(false);
            var (stage, reason) = StageAndReason(outcome);
            var evaluated = outcome as OutcomeRecord.Evaluated;
            int rows = await Db.ExecuteAsync(c, tx, """
                INSERT INTO outcomes (job_id, candidate_id, kind, stage, reason, seconds, objectives, refined, recorded_by, cached, rung)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (job_id, candidate_id, rung) DO NOTHING
                """, ct,
                outcome.JobId, outcome.CandidateId, outcome.Kind, Text(stage), Text(reason), outcome.Spent.TotalSeconds,
                new NpgsqlParameter
                {
                    Value = evaluated is { Objectives.IsDefault: false } e ? e.Objectives.ToArray() : DBNull.Value,
                    NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double,
                },
                new NpgsqlParameter { Value = (object?)evaluated?.RefinedGenomeJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Json },
                writer, outcome.Cached, outcome.Rung).ConfigureAwait(false);
            if (rows == 0)
            {
                // Taken already: by another report, or by an earlier attempt of this very call whose answer was lost.
                await using var mine = Db.Command(c, tx, "SELECT recorded_by = $3 FROM outcomes WHERE job_id = $1 AND candidate_id = $2 AND rung = $4",
                    outcome.JobId, outcome.CandidateId, writer, outcome.Rung);
                stored = await mine.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
                return;
            }
            if (scores.Count > 0)
            {
                var list = scores.ToList();
                await Db.ExecuteAsync(c, tx, """
                    INSERT INTO scores (job_id, candidate_id, objective, task, seed, value, device, wall_ms, rung)
                    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::double precision[], $7::text[], $8::double precision[], $9::integer[])
                    ON CONFLICT DO NOTHING
                    """, ct,
                    list.Select(s => s.JobId).ToArray(), list.Select(s => s.CandidateId).ToArray(), list.Select(s => s.Objective).ToArray(),
                    list.Select(s => s.Task ?? "").ToArray(), list.Select(s => s.Seed).ToArray(), list.Select(s => s.Value).ToArray(),
                    list.Select(s => s.Device).ToArray(), list.Select(s => s.WallTimeMs).ToArray(), list.Select(s => s.Rung).ToArray()).ConfigureAwait(false);
            }
            if (sighting is not null) await CatalogRepository.WriteAsync(c, tx, [sighting], ct).ConfigureAwait(false);
            stored = true;
        }, cancellation).ConfigureAwait(false);
        return stored;
    }

    /// <summary>A job's candidates that have an outcome, with it (one row per rung), in id order from <paramref name="fromCandidateId"/>.</summary>
    public Task<List<RecordedResult>> ResultsAsync(Guid jobId, long fromCandidateId = 0, CancellationToken cancellation = default) =>
        Results(jobId, fromCandidateId, "o.candidate_id, o.rung", cancellation);

    /// <summary>A job's candidates with their outcomes in the order the outcomes were recorded (schema version 6).</summary>
    public Task<List<RecordedResult>> ResultsInRecordedOrderAsync(Guid jobId, CancellationToken cancellation = default) =>
        Results(jobId, 0, "o.recorded", cancellation);

    private Task<List<RecordedResult>> Results(Guid jobId, long fromCandidateId, string order, CancellationToken cancellation) =>
        _db.QueryAsync($"""
            SELECT c.job_id, c.id, c.generation, c.formula, c.genome::text, c.fingerprint, c.parent_ids, c.operator,
                   {string.Join(", ", OutcomeColumns.Split(", ").Select(col => "o." + col))}, o.recorded_at
            FROM outcomes o JOIN candidates c ON c.job_id = o.job_id AND c.id = o.candidate_id
            WHERE o.job_id = $1 AND o.candidate_id >= $2
            ORDER BY {order}
            """, r => new RecordedResult(ReadCandidate(r), ReadOutcome(r, 8), r.GetFieldValue<DateTimeOffset>(18)), cancellation, jobId, fromCandidateId);

    private const string OutcomeColumns = "job_id, candidate_id, kind, stage, reason, seconds, objectives, refined::text, cached, rung";

    /// <summary>A job's scores (optionally of one candidate) by candidate, objective, task, seed.</summary>
    public Task<List<ScoreRecord>> ScoresAsync(Guid jobId, long? candidateId = null, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT job_id, candidate_id, objective, task, value, seed, device, wall_ms, rung FROM scores
            WHERE job_id = $1 AND ($2::bigint IS NULL OR candidate_id = $2)
            ORDER BY candidate_id, rung, objective, task, seed
            """, ReadScore, cancellation, jobId, candidateId);

    /// <summary>How many of a job's candidates ended each way at the lowest rung (the rejection funnel), by kind and stage.</summary>
    public Task<List<(string Kind, string? Stage, long Count)>> FunnelAsync(Guid jobId, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT kind, stage, count(*) FROM outcomes WHERE job_id = $1 AND rung = 0 GROUP BY kind, stage ORDER BY kind, stage
            """, r => (r.GetString(0), Db.NullableString(r, 1), r.GetInt64(2)), cancellation, jobId);

    private const string SelectCandidates =
        "SELECT job_id, id, generation, formula, genome::text, fingerprint, parent_ids, operator FROM candidates";

    internal static Task WriteCandidatesAsync(NpgsqlConnection c, IReadOnlyCollection<CandidateRecord> rows, CancellationToken ct) =>
        CopyAsync(c, rows, "candidates", "job_id, id, generation, formula, genome, fingerprint, parent_ids, operator", "job_id, id",
            rows.Select(r => (r.JobId, r.Id)), async (w, r) =>
            {
                await w.WriteAsync(r.JobId, NpgsqlDbType.Uuid, ct).ConfigureAwait(false);
                await w.WriteAsync(r.Id, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(r.Generation, NpgsqlDbType.Integer, ct).ConfigureAwait(false);
                await w.WriteAsync(r.Formula, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await w.WriteAsync(r.GenomeJson, NpgsqlDbType.Json, ct).ConfigureAwait(false);
                await w.WriteAsync(Db.Bits(r.Fingerprint.Value), NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(r.ParentIds.IsDefault ? [] : r.ParentIds.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(r.Operator, NpgsqlDbType.Text, ct).ConfigureAwait(false);
            }, ct);

    internal static Task WriteOutcomesAsync(NpgsqlConnection c, IReadOnlyCollection<OutcomeRecord> rows, CancellationToken ct) =>
        CopyAsync(c, rows, "outcomes", "job_id, candidate_id, kind, stage, reason, seconds, objectives, refined, cached, rung", "job_id, candidate_id, rung",
            rows.Select(o => (o.JobId, o.CandidateId)), async (w, o) =>
            {
                var (stage, reason) = StageAndReason(o);
                var evaluated = o as OutcomeRecord.Evaluated;
                await w.WriteAsync(o.JobId, NpgsqlDbType.Uuid, ct).ConfigureAwait(false);
                await w.WriteAsync(o.CandidateId, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(o.Kind, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(w, stage, ct).ConfigureAwait(false);
                await WriteNullableAsync(w, reason, ct).ConfigureAwait(false);
                await w.WriteAsync(o.Spent.TotalSeconds, NpgsqlDbType.Double, ct).ConfigureAwait(false);
                if (evaluated is { Objectives.IsDefault: false }) await w.WriteAsync(evaluated.Objectives.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Double, ct).ConfigureAwait(false);
                else await w.WriteNullAsync(ct).ConfigureAwait(false);
                if (evaluated?.RefinedGenomeJson is { } refined) await w.WriteAsync(refined, NpgsqlDbType.Json, ct).ConfigureAwait(false);
                else await w.WriteNullAsync(ct).ConfigureAwait(false);
                await w.WriteAsync(o.Cached, NpgsqlDbType.Boolean, ct).ConfigureAwait(false);
                await w.WriteAsync(o.Rung, NpgsqlDbType.Integer, ct).ConfigureAwait(false);
            }, ct);

    private static (string? Stage, string? Reason) StageAndReason(OutcomeRecord o) => o switch
    {
        OutcomeRecord.Rejected r => (r.Stage, r.Reason),
        OutcomeRecord.Failed f => (null, f.Error),
        _ => (null, null),
    };

    private static NpgsqlParameter Text(string? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    internal static Task WriteScoresAsync(NpgsqlConnection c, IReadOnlyCollection<ScoreRecord> rows, CancellationToken ct) =>
        CopyAsync(c, rows, "scores", "job_id, candidate_id, objective, task, seed, value, device, wall_ms, rung", "job_id, candidate_id, rung, objective, task, seed",
            rows.Select(s => (s.JobId, s.CandidateId)), async (w, s) =>
            {
                await w.WriteAsync(s.JobId, NpgsqlDbType.Uuid, ct).ConfigureAwait(false);
                await w.WriteAsync(s.CandidateId, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(s.Objective, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await w.WriteAsync(s.Task ?? "", NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await w.WriteAsync(s.Seed, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(s.Value, NpgsqlDbType.Double, ct).ConfigureAwait(false);
                await w.WriteAsync(s.Device, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await w.WriteAsync(s.WallTimeMs, NpgsqlDbType.Double, ct).ConfigureAwait(false);
                await w.WriteAsync(s.Rung, NpgsqlDbType.Integer, ct).ConfigureAwait(false);
            }, ct);

    /// <summary>
    /// Binary COPY of <paramref name="rows"/> into <paramref name="table"/>, inside the caller's transaction. When no row of
    /// the batch's candidates is stored yet (the usual case) it copies straight into the table; when some are (a repeated
    /// batch) or the straight copy hits a duplicate, it copies into a staging table and inserts what is missing.
    /// </summary>
    private static async Task CopyAsync<T>(
        NpgsqlConnection c, IReadOnlyCollection<T> rows, string table, string columns, string key,
        IEnumerable<(Guid Job, long Candidate)> candidates, Func<NpgsqlBinaryImporter, T, Task> write, CancellationToken ct)
    {
        if (rows.Count == 0) return;
        var byJob = candidates.GroupBy(k => k.Job).ToList();
        bool anyStored = false;
        foreach (var g in byJob)
        {
            await using var probe = Db.Command(c, null, $"SELECT EXISTS (SELECT 1 FROM {table} WHERE job_id = $1 AND {(table == "candidates" ? "id" : "candidate_id")} = ANY($2))",
                g.Key, g.Select(k => k.Candidate).Distinct().ToArray());
            anyStored |= (bool)(await probe.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }
        if (!anyStored)
        {
            // A savepoint, so a duplicate inside the batch falls back to the staging path instead of failing the transaction.
            await Db.ExecuteAsync(c, null, "SAVEPOINT copy_direct", ct).ConfigureAwait(false);
            try
            {
                await CopyRowsAsync(c, table, columns, rows, write, ct).ConfigureAwait(false);
                await Db.ExecuteAsync(c, null, "RELEASE SAVEPOINT copy_direct", ct).ConfigureAwait(false);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await Db.ExecuteAsync(c, null, "ROLLBACK TO SAVEPOINT copy_direct", ct).ConfigureAwait(false);
            }
        }
        string stage = "stage_" + table;
        // The outcomes' recorded order (an identity column) numbers the staged rows in the order they came, and the insert
        // keeps that order.
        await Db.ExecuteAsync(c, null, $"CREATE TEMP TABLE {stage} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DROP", ct).ConfigureAwait(false);
        await CopyRowsAsync(c, stage, columns, rows, write, ct).ConfigureAwait(false);
        string order = table == "outcomes" ? " ORDER BY recorded" : "";
        await Db.ExecuteAsync(c, null, $"""
            INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}{order} ON CONFLICT ({key}) DO NOTHING;
            DROP TABLE {stage}
            """, ct).ConfigureAwait(false);
    }

    private static async Task CopyRowsAsync<T>(NpgsqlConnection c, string table, string columns, IReadOnlyCollection<T> rows, Func<NpgsqlBinaryImporter, T, Task> write, CancellationToken ct)
    {
        await using var w = await c.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false);
        foreach (var r in rows)
        {
            await w.StartRowAsync(ct).ConfigureAwait(false);
            await write(w, r).ConfigureAwait(false);
        }
        await w.CompleteAsync(ct).ConfigureAwait(false);
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter w, string? value, CancellationToken ct) =>
        value is null ? w.WriteNullAsync(ct) : w.WriteAsync(value, NpgsqlDbType.Text, ct);

    private static CandidateRecord ReadCandidate(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetInt64(1), r.GetInt32(2), r.GetString(3), r.GetString(4),
        new Fingerprint(Db.Unsigned(r.GetInt64(5))), [.. r.GetFieldValue<long[]>(6)], r.GetString(7));

    /// <summary>An outcome from the columns of <see cref="OutcomeColumns"/>, starting at column <paramref name="at"/>.</summary>
    private static OutcomeRecord ReadOutcome(NpgsqlDataReader r, int at)
    {
        Guid job = r.GetGuid(at);
        long id = r.GetInt64(at + 1);
        var spent = TimeSpan.FromTicks((long)Math.Round(r.GetDouble(at + 5) * TimeSpan.TicksPerSecond)); // exact for any tick count a run can reach
        OutcomeRecord outcome = r.GetString(at + 2) switch
        {
            "evaluated" => new OutcomeRecord.Evaluated(job, id, spent)
            {
                Objectives = r.IsDBNull(at + 6) ? default : [.. r.GetFieldValue<double[]>(at + 6)],
                RefinedGenomeJson = Db.NullableString(r, at + 7),
            },
            "rejected" => new OutcomeRecord.Rejected(job, id, r.GetString(at + 3), r.GetString(at + 4), spent),
            "failed" => new OutcomeRecord.Failed(job, id, r.GetString(at + 4), spent),
            "cancelled" => new OutcomeRecord.Cancelled(job, id, spent),
            var k => throw new StorageException($"Unknown outcome kind '{k}' in the database."),
        };
        return outcome with { Cached = r.GetBoolean(at + 8), Rung = r.GetInt32(at + 9) };
    }

    private static ScoreRecord ReadScore(NpgsqlDataReader r)
    {
        string task = r.GetString(3);
        return new ScoreRecord(r.GetGuid(0), r.GetInt64(1), r.GetString(2), task.Length == 0 ? null : task,
            r.GetDouble(4), r.GetInt64(5), r.GetString(6), r.GetDouble(7), r.GetInt32(8));
    }
}
