using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>
/// Jobs: create, read, list, and move through their statuses. Outcomes and checkpoints written with
/// <c>createMissingJob</c> make a <em>stub</em> for a job that has no row yet (status queued, empty name, space and
/// owner, seed 0, no details), so they are never lost for want of it; saving the job with <see cref="SaveAsync"/>
/// fills the stub in.
/// </summary>
public sealed class JobRepository
{
    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    internal const string Columns =
        "id, name, space_name, space_yaml, seed, status, budget_evaluations, budget_wall_time, owner, created_at, started_at, finished_at, error, details, " +
        "objectives, maximize";

    private const string Values = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16";

    private const string Final = "('finished', 'failed', 'cancelled')";

    private readonly Db _db;

    internal JobRepository(Db db) => _db = db;

    /// <summary>Stores a new job. Storing the same id again changes nothing (so a retried create is harmless).</summary>
    public Task CreateAsync(JobRecord job, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _db.InTransactionAsync((c, tx, ct) => Db.ExecuteAsync(c, tx, $"""
            INSERT INTO jobs ({Columns}) VALUES ({Values})
            ON CONFLICT (id) DO NOTHING
            """, ct, Parameters(job)), cancellation);
    }

    /// <summary>
    /// Creates the job or replaces every field of its row (a stub's included). A job in a final status (finished,
    /// failed, cancelled) keeps it: a record with another status changes nothing, and the answer is false.
    /// </summary>
    public async Task<bool> SaveAsync(JobRecord job, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        int rows = 0;
        await _db.InTransactionAsync(async (c, tx, ct) => rows = await Db.ExecuteAsync(c, tx, $"""
            INSERT INTO jobs AS j ({Columns}) VALUES ({Values})
            ON CONFLICT (id) DO UPDATE SET
                name = excluded.name, space_name = excluded.space_name, space_yaml = excluded.space_yaml, seed = excluded.seed,
                status = excluded.status, budget_evaluations = excluded.budget_evaluations,
                budget_wall_time = excluded.budget_wall_time, owner = excluded.owner, created_at = excluded.created_at,
                started_at = excluded.started_at, finished_at = excluded.finished_at, error = excluded.error,
                details = excluded.details, objectives = excluded.objectives, maximize = excluded.maximize
            WHERE j.status NOT IN {Final} OR j.status = excluded.status
            """, ct, Parameters(job)).ConfigureAwait(false), cancellation).ConfigureAwait(false);
        return rows == 1;
    }

    /// <summary>How many jobs of <paramref name="owner"/> are queued, running or paused.</summary>
    public async Task<long> CountUnfinishedAsync(string owner, CancellationToken cancellation = default) =>
        (await _db.QueryAsync("SELECT count(*) FROM jobs WHERE owner = $1 AND status IN ('queued', 'running', 'paused')",
            r => r.GetInt64(0), cancellation, owner).ConfigureAwait(false))[0];

    /// <summary>Jobs that are queued, running or paused (stubs included), oldest first.</summary>
    public Task<List<JobRecord>> ListUnfinishedAsync(CancellationToken cancellation = default) =>
        _db.QueryAsync($"SELECT {Columns} FROM jobs WHERE status IN ('queued', 'running', 'paused') ORDER BY created_at, id", Read, cancellation);

    /// <summary>Makes a stub row for a job that has none, inside the caller's transaction (see the class summary).</summary>
    internal static Task EnsureAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Guid id, CancellationToken ct) =>
        Db.ExecuteAsync(c, tx, """
            INSERT INTO jobs (id, name, space_name, space_yaml, seed, status, owner, created_at)
            VALUES ($1, '', '', '', 0, 'queued', '', now())
            ON CONFLICT (id) DO NOTHING
            """, ct, id);

    private static object?[] Parameters(JobRecord job) =>
    [
        job.Id, job.Name, job.SpaceName, job.SpaceYaml, Db.Bits(job.Seed), Name(job.Status),
        job.Budget.Evaluations, job.Budget.WallTime, job.Owner, job.CreatedAt.ToUniversalTime(),
        job.StartedAt?.ToUniversalTime(), job.FinishedAt?.ToUniversalTime(), job.Error,
        new NpgsqlParameter { Value = (object?)job.Details ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Json },
        new NpgsqlParameter
        {
            Value = job.Objectives.IsDefaultOrEmpty ? DBNull.Value : job.Objectives.Select(o => o.Key).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
        },
        new NpgsqlParameter
        {
            Value = job.Objectives.IsDefaultOrEmpty ? DBNull.Value : job.Objectives.Select(o => o.Maximize).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean,
        },
    ];

    /// <summary>Jobs written by a job host (with details) whose objectives are not stored: rows from before schema version 5.</summary>
    public Task<List<JobRecord>> ListWithoutObjectivesAsync(CancellationToken cancellation = default) =>
        _db.QueryAsync($"SELECT {Columns} FROM jobs WHERE objectives IS NULL AND details IS NOT NULL ORDER BY created_at, id", Read, cancellation);

    /// <summary>
    /// Stores a job's objectives where none are stored yet, and the directions of its fronts that have the same
    /// objective keys and none (rows from before schema version 5). False when the job has objectives already.
    /// </summary>
    public async Task<bool> FillObjectivesAsync(Guid id, IReadOnlyList<StoredObjective> objectives, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        if (objectives.Count == 0) return false;
        string[] keys = [.. objectives.Select(o => o.Key)];
        bool[] maximize = [.. objectives.Select(o => o.Maximize)];
        int rows = 0;
        await _db.InTransactionAsync(async (c, tx, ct) =>
        {
            rows = await Db.ExecuteAsync(c, tx, "UPDATE jobs SET objectives = $2, maximize = $3 WHERE id = $1 AND objectives IS NULL", ct,
                id, keys, maximize).ConfigureAwait(false);
            if (rows == 1)
                await Db.ExecuteAsync(c, tx, "UPDATE fronts SET maximize = $3 WHERE job_id = $1 AND maximize IS NULL AND objectives = $2", ct,
                    id, keys, maximize).ConfigureAwait(false);
        }, cancellation).ConfigureAwait(false);
        return rows == 1;
    }

    public async Task<JobRecord?> GetAsync(Guid id, CancellationToken cancellation = default) =>
        (await _db.QueryAsync($"SELECT {Columns} FROM jobs WHERE id = $1", Read, cancellation, id).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Jobs newest first, optionally only those with one status.</summary>
    public Task<List<JobRecord>> ListAsync(JobStatus? status = null, int limit = 50, int offset = 0, CancellationToken cancellation = default) =>
        _db.QueryAsync($"""
            SELECT {Columns} FROM jobs
            WHERE $1::text IS NULL OR status = $1
            ORDER BY created_at DESC, id
            LIMIT $2 OFFSET $3
            """, Read, cancellation, status is { } s ? Name(s) : null, limit, offset);

    /// <summary>
    /// Moves a job to <paramref name="status"/>. Running stamps the start (once); finished, failed and cancelled
    /// stamp the end. Returns false when no such job exists.
    /// </summary>
    public async Task<bool> SetStatusAsync(Guid id, JobStatus status, string? error = null, CancellationToken cancellation = default)
    {
        int rows = 0;
        await _db.InTransactionAsync(async (c, tx, ct) => rows = await Db.ExecuteAsync(c, tx, """
            UPDATE jobs SET
                status = $2,
                error = $3,
                started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
                finished_at = CASE WHEN $2 IN ('finished', 'failed', 'cancelled') THEN now() ELSE NULL END
            WHERE id = $1
            """, ct, id, Name(status), error).ConfigureAwait(false), cancellation).ConfigureAwait(false);
        return rows == 1;
    }

    internal static string Name(JobStatus s) => s switch
    {
        JobStatus.Queued => "queued",
        JobStatus.Running => "running",
        JobStatus.Paused => "paused",
        JobStatus.Finished => "finished",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "Unknown job status."),
    };

    private static JobStatus Parse(string s) => s switch
    {
        "queued" => JobStatus.Queued,
        "running" => JobStatus.Running,
        "paused" => JobStatus.Paused,
        "finished" => JobStatus.Finished,
        "failed" => JobStatus.Failed,
        "cancelled" => JobStatus.Cancelled,
        _ => throw new StorageException($"Unknown job status '{s}' in the database."),
    };

    internal static JobRecord Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), Db.Unsigned(r.GetInt64(4)), Parse(r.GetString(5)),
        new JobBudget(Db.Nullable<long>(r, 6), Db.Nullable<TimeSpan>(r, 7)),
        r.GetString(8), r.GetFieldValue<DateTimeOffset>(9), Db.Nullable<DateTimeOffset>(r, 10), Db.Nullable<DateTimeOffset>(r, 11),
        Db.NullableString(r, 12))
    {
        Details = Db.NullableString(r, 13),
        Objectives = r.IsDBNull(14) || r.IsDBNull(15)
            ? []
            : [.. r.GetFieldValue<string[]>(14).Zip(r.GetFieldValue<bool[]>(15), (k, m) => new StoredObjective(k, m))],
    };
}
