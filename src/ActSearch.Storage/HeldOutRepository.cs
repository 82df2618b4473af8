using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>A job's latest held-out evaluation: when, under which protocol, and the document (JSON, the HTTP API's shape).</summary>
public sealed record StoredHeldOut(Guid JobId, DateTimeOffset EvaluatedAt, string Protocol, string DocumentJson);

/// <summary>
/// Held-out evaluations (schema 8), one per job: <c>actsearch report</c> saves its result so the web UI shows the same
/// table; a later evaluation of the job replaces it. The document is opaque here: its shape is the API's
/// (<c>HeldOutView</c>, docs/http-api.md).
/// </summary>
public sealed class HeldOutRepository
{
    /// <summary>The protocols the schema accepts.</summary>
    public static IReadOnlyList<string> Protocols { get; } = ["standard", "evidence"];

    private readonly Db _db;

    internal HeldOutRepository(Db db) => _db = db;

    /// <summary>Saves (or replaces) the job's evaluation in one statement.</summary>
    /// <exception cref="ArgumentException">An unknown protocol.</exception>
    /// <exception cref="StorageException">No such job (the row references it), or the database failed.</exception>
    public Task SaveAsync(Guid jobId, string protocol, string documentJson, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(documentJson);
        if (!Protocols.Contains(protocol)) throw new ArgumentException($"Unknown held-out protocol '{protocol}'; known: {string.Join(", ", Protocols)}.", nameof(protocol));
        return _db.InTransactionAsync((c, tx, ct) => Db.ExecuteAsync(c, tx, """
            INSERT INTO heldout_evaluations (job_id, protocol, document) VALUES ($1, $2, $3)
            ON CONFLICT (job_id) DO UPDATE SET protocol = excluded.protocol, document = excluded.document, evaluated_at = now()
            """, ct, jobId, protocol, new NpgsqlParameter { Value = documentJson, NpgsqlDbType = NpgsqlDbType.Jsonb }), cancellation);
    }

    /// <summary>The job's evaluation; null when it has none.</summary>
    public async Task<StoredHeldOut?> GetAsync(Guid jobId, CancellationToken cancellation = default) =>
        (await _db.QueryAsync("SELECT job_id, evaluated_at, protocol, document::text FROM heldout_evaluations WHERE job_id = $1",
            r => new StoredHeldOut(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetString(3)), cancellation, jobId).ConfigureAwait(false))
            .FirstOrDefault();
}
