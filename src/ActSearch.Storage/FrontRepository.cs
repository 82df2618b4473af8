using System.Collections.Immutable;
using Npgsql;
using NpgsqlTypes;

namespace ActSearch.Storage;

/// <summary>Front snapshots, one per job and generation. Saving a generation again replaces it (a resumed run re-derives the same one).</summary>
public sealed class FrontRepository
{
    private readonly Db _db;

    internal FrontRepository(Db db) => _db = db;

    public Task SaveAsync(FrontSnapshot front, CancellationToken cancellation = default) =>
        _db.InTransactionAsync((c, tx, ct) => WriteAsync(c, tx, front, ct), cancellation);

    public async Task<FrontSnapshot?> GetAsync(Guid jobId, int generation, CancellationToken cancellation = default) =>
        (await _db.QueryAsync($"{Select} WHERE job_id = $1 AND generation = $2", Read, cancellation, jobId, generation).ConfigureAwait(false))
            .FirstOrDefault();

    /// <summary>The newest snapshot of a job, or null before its first generation ends.</summary>
    public async Task<FrontSnapshot?> LatestAsync(Guid jobId, CancellationToken cancellation = default) =>
        (await _db.QueryAsync($"{Select} WHERE job_id = $1 ORDER BY generation DESC LIMIT 1", Read, cancellation, jobId).ConfigureAwait(false))
            .FirstOrDefault();

    private const string Select = "SELECT job_id, generation, objectives, candidate_ids, \"values\", maximize FROM fronts";

    internal static Task WriteAsync(NpgsqlConnection c, NpgsqlTransaction? tx, FrontSnapshot f, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(f);
        int width = f.Objectives.Length;
        var values = new double[f.Members.Length * width];
        for (int i = 0; i < f.Members.Length; i++)
        {
            var m = f.Members[i];
            if (m.Values.Length != width)
                throw new ArgumentException($"Front member {m.CandidateId} has {m.Values.Length} values for {width} objectives.", nameof(f));
            m.Values.CopyTo(values, i * width);
        }
        if (!f.Maximize.IsDefaultOrEmpty && f.Maximize.Length != width)
            throw new ArgumentException($"The front has {f.Maximize.Length} directions for {width} objectives.", nameof(f));
        return Db.ExecuteAsync(c, tx, """
            INSERT INTO fronts (job_id, generation, objectives, candidate_ids, "values", maximize) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (job_id, generation) DO UPDATE
            SET objectives = excluded.objectives, candidate_ids = excluded.candidate_ids, "values" = excluded."values",
                maximize = excluded.maximize, created_at = now()
            """, ct,
            f.JobId, f.Generation,
            new NpgsqlParameter { Value = f.Objectives.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
            new NpgsqlParameter { Value = f.Members.Select(m => m.CandidateId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint },
            new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double },
            new NpgsqlParameter
            {
                Value = f.Maximize.IsDefaultOrEmpty ? DBNull.Value : f.Maximize.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean,
            });
    }

    private static FrontSnapshot Read(NpgsqlDataReader r)
    {
        var objectives = r.GetFieldValue<string[]>(2);
        var ids = r.GetFieldValue<long[]>(3);
        var values = r.GetFieldValue<double[]>(4);
        int width = objectives.Length;
        var members = ids.Select((id, i) => new FrontMember(id, [.. values.AsSpan(i * width, width)])).ToImmutableArray();
        return new FrontSnapshot(r.GetGuid(0), r.GetInt32(1), [.. objectives], members)
        {
            Maximize = r.IsDBNull(5) ? [] : [.. r.GetFieldValue<bool[]>(5)],
        };
    }
}
