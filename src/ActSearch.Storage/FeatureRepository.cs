using ActSearch.Expressions;

namespace ActSearch.Storage;

/// <summary>
/// One function's feature vector of one kind, task and method version (schema 10): what a surrogate computed for it, the
/// seconds it took, and when.
/// </summary>
public sealed record FeatureRecord(Fingerprint Fingerprint, string Kind, string Task, int Version, double[] Values, double Seconds,
    DateTimeOffset ComputedAt = default);

/// <summary>
/// Features kept per function (schema 10), across jobs: a surrogate's costly features are computed once per fingerprint.
/// Written by the job grains, read by them before a surrogate screens, and by the web UI's activation page.
/// </summary>
public sealed class FeatureRepository
{
    private readonly Db _db;

    internal FeatureRepository(Db db) => _db = db;

    /// <summary>Stores vectors in one transaction; a function that has a vector of the same kind, task and version keeps it.</summary>
    /// <exception cref="StorageException">The database failed.</exception>
    public Task SaveAsync(IReadOnlyList<FeatureRecord> features, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0) return Task.CompletedTask;
        foreach (var f in features)
        {
            if (string.IsNullOrEmpty(f.Kind)) throw new ArgumentException("A feature vector needs a kind.", nameof(features));
            if (f.Version < 1) throw new ArgumentException($"Feature versions start at 1 (got {f.Version}).", nameof(features));
            if (!(f.Seconds >= 0)) throw new ArgumentException($"A feature vector's seconds must be 0 or more (got {f.Seconds}).", nameof(features));
        }
        // One statement per vector: arrays of arrays do not unnest into rows of arrays.
        return _db.InTransactionAsync(async (c, tx, ct) =>
        {
            foreach (var f in features)
                await Db.ExecuteAsync(c, tx, """
                    INSERT INTO function_features (fingerprint, kind, task, version, vals, seconds)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (kind, task, version, fingerprint) DO NOTHING
                    """, ct, Db.Bits(f.Fingerprint.Value), f.Kind, f.Task, f.Version, f.Values, f.Seconds).ConfigureAwait(false);
        }, cancellation);
    }

    /// <summary>The latest <paramref name="count"/> vectors of one kind, task and version, newest first.</summary>
    public Task<List<FeatureRecord>> LatestAsync(string kind, string task, int version, int count, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return _db.QueryAsync("""
            SELECT fingerprint, kind, task, version, vals, seconds, computed_at FROM function_features
            WHERE kind = $1 AND task = $2 AND version = $3 ORDER BY computed_at DESC, fingerprint LIMIT $4
            """, Read, cancellation, kind, task, version, count);
    }

    /// <summary>Every vector kept for one function, by kind, task and version (the latest version first).</summary>
    public Task<List<FeatureRecord>> OfAsync(Fingerprint fingerprint, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT fingerprint, kind, task, version, vals, seconds, computed_at FROM function_features
            WHERE fingerprint = $1 ORDER BY kind, task, version DESC
            """, Read, cancellation, Db.Bits(fingerprint.Value));

    private static FeatureRecord Read(Npgsql.NpgsqlDataReader r) => new(
        new Fingerprint(Db.Unsigned(r.GetInt64(0))), r.GetString(1), r.GetString(2), r.GetInt32(3),
        r.GetFieldValue<double[]>(4), r.GetDouble(5), r.GetFieldValue<DateTimeOffset>(6));
}
