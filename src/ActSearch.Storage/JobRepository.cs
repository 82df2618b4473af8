using Npgsql;

namespace ActSearch.Storage;

/// <summary>Jobs: create, read, list, and move through their statuses.</summary>
public sealed class JobRepository
{
    private const string Columns =
        "id, name, space_name, space_yaml, seed, status, budget_evaluations, budget_wall_time, owner, created_at, started_at, finished_at, error";

    private readonly Db _db;

    internal JobRepository(Db db) => _db = db;

    /// <summary>Stores a new job. Storing the same id again changes nothing (so a retried create is harmless).</summary>
    public Task CreateAsync(JobRecord job, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _db.InTransactionAsync((c, tx, ct) => Db.ExecuteAsync(c, tx, $"""
            INSERT INTO jobs ({Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (id) DO NOTHING
            """, ct,
            job.Id, job.Name, job.SpaceName, job.SpaceYaml, Db.Bits(job.Seed), Name(job.Status),
            job.Budget.Evaluations, job.Budget.WallTime, job.Owner, job.CreatedAt.ToUniversalTime(),
            job.StartedAt?.ToUniversalTime(), job.FinishedAt?.ToUniversalTime(), job.Error), cancellation);
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

    private static JobRecord Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), Db.Unsigned(r.GetInt64(4)), Parse(r.GetString(5)),
        new JobBudget(Db.Nullable<long>(r, 6), Db.Nullable<TimeSpan>(r, 7)),
        r.GetString(8), r.GetFieldValue<DateTimeOffset>(9), Db.Nullable<DateTimeOffset>(r, 10), Db.Nullable<DateTimeOffset>(r, 11),
        Db.NullableString(r, 12));
}
