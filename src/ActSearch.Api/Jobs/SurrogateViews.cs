using ActSearch.Evolution;
using ActSearch.Storage;

namespace ActSearch.Api;

/// <summary>
/// What a job's surrogate predicted, as <c>GET /api/jobs/{id}/surrogate</c> returns it: the objective it predicted, how many
/// children it ranked, trained and screened out, and for the trained ones with a measured value the rank correlation
/// between prediction and measurement (Spearman's rho; null below 3 pairs or when either side is constant). Points are in
/// candidate order; <c>measured</c> is null for a screened-out child, or a trained one rejected or not finished.
/// </summary>
public sealed record SurrogateView(Guid JobId, string Objective, int Ranked, int Trained, int Measured, double? Spearman, IReadOnlyList<PredictionView> Points)
{
    /// <summary>The view of stored predictions; null when the job has none.</summary>
    public static SurrogateView? From(Guid jobId, IReadOnlyList<PredictionAndMeasurement> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) return null;
        var first = rows[0].Prediction;
        var pairs = rows.Where(r => r.Prediction.Trained && r.Measured is { } m && double.IsFinite(m)).ToList();
        double rho = pairs.Count >= 3 ? SurrogateValidation.Spearman([.. pairs.Select(p => p.Prediction.Mean)], [.. pairs.Select(p => p.Measured!.Value)]) : double.NaN;
        return new SurrogateView(jobId, first.Task is null ? first.Objective : $"{first.Objective}@{first.Task}", rows.Count,
            rows.Count(r => r.Prediction.Trained), pairs.Count, double.IsFinite(rho) ? rho : null,
            [.. rows.Select(r => new PredictionView(r.Prediction.CandidateId, r.Prediction.Mean, r.Prediction.StdDev, r.Prediction.Trained, r.Measured))]);
    }
}

/// <summary>One ranked child: predicted mean and standard deviation (the objective's own units), trained or screened out, measured value.</summary>
public sealed record PredictionView(long CandidateId, double Predicted, double StdDev, bool Trained, double? Measured);
