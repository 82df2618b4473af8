namespace ActSearch.Storage;

/// <summary>A surrogate's prediction for one candidate: the objective (name and task), mean and standard deviation, and whether it was trained.</summary>
public sealed record PredictionRecord(long CandidateId, string Objective, string? Task, double Mean, double StdDev, bool Trained);

/// <summary>A stored prediction with the value measured for it at rung 0 (mean over seeds; null when not trained or not evaluated).</summary>
public sealed record PredictionAndMeasurement(PredictionRecord Prediction, double? Measured);

/// <summary>
/// Surrogate predictions (schema 9), one per candidate of a job: what the job grain's engine predicted when it bred the
/// candidate, trained or screened out. Read back joined with the rung-0 scores of the same objective.
/// </summary>
public sealed class PredictionRepository
{
    private readonly Db _db;

    internal PredictionRepository(Db db) => _db = db;

    /// <summary>Records predictions in one transaction; a candidate that has one keeps it (a repeated write changes nothing).</summary>
    /// <exception cref="StorageException">No such job, or the database failed.</exception>
    public Task RecordAsync(Guid jobId, IReadOnlyList<PredictionRecord> predictions, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count == 0) return Task.CompletedTask;
        return _db.InTransactionAsync((c, tx, ct) => Db.ExecuteAsync(c, tx, """
            INSERT INTO predictions (job_id, candidate_id, objective, task, mean, std, trained)
            SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::bool[])
            ON CONFLICT (job_id, candidate_id) DO NOTHING
            """, ct, jobId,
            predictions.Select(p => p.CandidateId).ToArray(),
            predictions.Select(p => p.Objective).ToArray(),
            predictions.Select(p => p.Task ?? "").ToArray(),
            predictions.Select(p => p.Mean).ToArray(),
            predictions.Select(p => p.StdDev).ToArray(),
            predictions.Select(p => p.Trained).ToArray()), cancellation);
    }

    /// <summary>
    /// The job's predictions in candidate order, each with its measured value (trained and evaluated ones). An objective
    /// without a task (a curve fit's loss) matches its scores whatever task they were stored under.
    /// </summary>
    public Task<List<PredictionAndMeasurement>> ForJobAsync(Guid jobId, CancellationToken cancellation = default) =>
        _db.QueryAsync("""
            SELECT p.candidate_id, p.objective, p.task, p.mean, p.std, p.trained,
                   (SELECT avg(s.value) FROM scores s WHERE s.job_id = p.job_id AND s.candidate_id = p.candidate_id AND s.rung = 0
                       AND s.objective = p.objective AND (s.task = p.task OR p.task = ''))
            FROM predictions p WHERE p.job_id = $1 ORDER BY p.candidate_id
            """,
            r => new PredictionAndMeasurement(
                new PredictionRecord(r.GetInt64(0), r.GetString(1), r.GetString(2) is { Length: > 0 } t ? t : null, r.GetDouble(3), r.GetDouble(4), r.GetBoolean(5)),
                r.IsDBNull(6) ? null : r.GetDouble(6)),
            cancellation, jobId);
}
