using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>
/// Checkpoints, one per job and generation. A job resumes from <see cref="LatestAsync"/>; saving a generation
/// again replaces it (a resumed run reaches the same generation with the same state).
/// </summary>
public sealed class CheckpointRepository
{
    private readonly Db _db;

    internal CheckpointRepository(Db db) => _db = db;

    /// <summary>Saves a checkpoint; with <paramref name="createMissingJob"/>, a job without a row gets a stub first (see <see cref="JobRepository"/>), in the same transaction.</summary>
    public Task SaveAsync(Checkpoint checkpoint, bool createMissingJob = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return _db.InTransactionAsync(async (c, tx, ct) =>
        {
            if (createMissingJob) await JobRepository.EnsureAsync(c, tx, checkpoint.JobId, ct).ConfigureAwait(false);
            await WriteAsync(c, tx, checkpoint, ct).ConfigureAwait(false);
        }, cancellation);
    }

    /// <summary>The newest checkpoint of a job; null when it has none (start from scratch).</summary>
    public async Task<Checkpoint?> LatestAsync(Guid jobId, CancellationToken cancellation = default) =>
        (await _db.QueryAsync($"{Select} FROM checkpoints WHERE job_id = $1 ORDER BY generation DESC LIMIT 1", Read, cancellation, jobId).ConfigureAwait(false))
            .FirstOrDefault();

    /// <summary>The newest checkpoint of a job with when it was saved; null when it has none.</summary>
    public async Task<(Checkpoint Checkpoint, DateTimeOffset SavedAt)?> LatestSavedAsync(Guid jobId, CancellationToken cancellation = default)
    {
        var rows = await _db.QueryAsync($"{Select}, created_at FROM checkpoints WHERE job_id = $1 ORDER BY generation DESC LIMIT 1",
            r => (Read(r), r.GetFieldValue<DateTimeOffset>(4)), cancellation, jobId).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<Checkpoint?> GetAsync(Guid jobId, int generation, CancellationToken cancellation = default) =>
        (await _db.QueryAsync($"{Select} FROM checkpoints WHERE job_id = $1 AND generation = $2", Read, cancellation, jobId, generation).ConfigureAwait(false))
            .FirstOrDefault();

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints of a job (states can be large); returns how many went.</summary>
    public async Task<int> PruneAsync(Guid jobId, int keep, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        int deleted = 0;
        await _db.InTransactionAsync(async (c, tx, ct) => deleted = await Db.ExecuteAsync(c, tx, """
            DELETE FROM checkpoints WHERE job_id = $1 AND generation NOT IN (
                SELECT generation FROM checkpoints WHERE job_id = $1 ORDER BY generation DESC LIMIT $2)
            """, ct, jobId, keep).ConfigureAwait(false), cancellation).ConfigureAwait(false);
        return deleted;
    }

    private const string Select = "SELECT job_id, generation, state::text, rng";

    internal static Task WriteAsync(NpgsqlConnection c, NpgsqlTransaction? tx, Checkpoint k, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(k);
        return Db.ExecuteAsync(c, tx, """
            INSERT INTO checkpoints (job_id, generation, state, rng) VALUES ($1, $2, $3, $4)
            ON CONFLICT (job_id, generation) DO UPDATE SET state = excluded.state, rng = excluded.rng, created_at = now()
            """, ct,
            k.JobId, k.Generation,
            new NpgsqlParameter { Value = k.EngineStateJson, NpgsqlDbType = NpgsqlDbType.Json },
            new NpgsqlParameter { Value = k.RngState.Select(Db.Bits).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
    }

    private static Checkpoint Read(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetInt32(1), r.GetString(2), [.. r.GetFieldValue<long[]>(3).Select(Db.Unsigned)]);
}
