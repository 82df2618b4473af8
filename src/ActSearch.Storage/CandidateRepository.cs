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
        _db.QueryAsync("SELECT job_id, candidate_id, kind, stage, reason, seconds FROM outcomes WHERE job_id = $1 ORDER BY candidate_id",
            ReadOutcome, cancellation, jobId);

    /// <summary>A job's scores (optionally of one candidate) by candidate, objective, task, seed.</summary>
    public Task<List<ScoreRecord>> ScoresAsync(Guid jobId, long? candidateId = null, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT job_id, candidate_id, objective, task, value, seed, device, wall_ms FROM scores
            WHERE job_id = $1 AND ($2::bigint IS NULL OR candidate_id = $2)
            ORDER BY candidate_id, objective, task, seed
            """, ReadScore, cancellation, jobId, candidateId);

    /// <summary>How many of a job's candidates ended each way (the rejection funnel), by kind and stage.</summary>
    public Task<List<(string Kind, string? Stage, long Count)>> FunnelAsync(Guid jobId, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT kind, stage, count(*) FROM outcomes WHERE job_id = $1 GROUP BY kind, stage ORDER BY kind, stage
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
        CopyAsync(c, rows, "outcomes", "job_id, candidate_id, kind, stage, reason, seconds", "job_id, candidate_id",
            rows.Select(o => (o.JobId, o.CandidateId)), async (w, o) =>
            {
                var (stage, reason) = o switch
                {
                    OutcomeRecord.Rejected r => (r.Stage, r.Reason),
                    OutcomeRecord.Failed f => (null, f.Error),
                    _ => ((string?)null, (string?)null),
                };
                await w.WriteAsync(o.JobId, NpgsqlDbType.Uuid, ct).ConfigureAwait(false);
                await w.WriteAsync(o.CandidateId, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await w.WriteAsync(o.Kind, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await WriteNullableAsync(w, stage, ct).ConfigureAwait(false);
                await WriteNullableAsync(w, reason, ct).ConfigureAwait(false);
                await w.WriteAsync(o.Spent.TotalSeconds, NpgsqlDbType.Double, ct).ConfigureAwait(false);
            }, ct);

    internal static Task WriteScoresAsync(NpgsqlConnection c, IReadOnlyCollection<ScoreRecord> rows, CancellationToken ct) =>
        CopyAsync(c, rows, "scores", "job_id, candidate_id, objective, task, seed, value, device, wall_ms", "job_id, candidate_id, objective, task, seed",
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
        await Db.ExecuteAsync(c, null, $"CREATE TEMP TABLE {stage} (LIKE {table}) ON COMMIT DROP", ct).ConfigureAwait(false);
        await CopyRowsAsync(c, stage, columns, rows, write, ct).ConfigureAwait(false);
        await Db.ExecuteAsync(c, null, $"""
            INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} ON CONFLICT ({key}) DO NOTHING;
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

    private static OutcomeRecord ReadOutcome(NpgsqlDataReader r)
    {
        Guid job = r.GetGuid(0);
        long id = r.GetInt64(1);
        var spent = TimeSpan.FromTicks((long)Math.Round(r.GetDouble(5) * TimeSpan.TicksPerSecond)); // exact for any tick count a run can reach
        return r.GetString(2) switch
        {
            "evaluated" => new OutcomeRecord.Evaluated(job, id, spent),
            "rejected" => new OutcomeRecord.Rejected(job, id, r.GetString(3), r.GetString(4), spent),
            "failed" => new OutcomeRecord.Failed(job, id, r.GetString(4), spent),
            "cancelled" => new OutcomeRecord.Cancelled(job, id, spent),
            var k => throw new StorageException($"Unknown outcome kind '{k}' in the database."),
        };
    }

    private static ScoreRecord ReadScore(NpgsqlDataReader r)
    {
        string task = r.GetString(3);
        return new ScoreRecord(r.GetGuid(0), r.GetInt64(1), r.GetString(2), task.Length == 0 ? null : task,
            r.GetDouble(4), r.GetInt64(5), r.GetString(6), r.GetDouble(7));
    }
}
