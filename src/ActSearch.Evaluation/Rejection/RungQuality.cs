using System.Globalization;
using ActSearch.Evaluation.Tasks;

namespace ActSearch.Evaluation.Rejection;

/// <summary>
/// EvoNorms' quality rejection as the lowest fidelity rung (<c>fidelity.rungs[0].min_accuracy</c>): the rung's own training
/// is the short run, so nothing is trained twice. A candidate whose mean held-out accuracy (a diverged run counts 0) on a
/// classification task falls below the minimum is rejected by the <see cref="StageNames.Quality"/> stage, as the probe would.
/// </summary>
public static class RungQuality
{
    /// <summary>Why the runs fail the minimum (the first task that does, in the order trained), or null when they pass.</summary>
    public static string? Check(IReadOnlyList<ProxyTaskResult> runs, double minAccuracy)
    {
        ArgumentNullException.ThrowIfNull(runs);
        foreach (var task in runs.Where(r => r.Metric == TaskMetric.Accuracy).GroupBy(r => r.Task))
        {
            double accuracy = task.Average(TaskSummary.ValueOf);
            if (accuracy >= minAccuracy) continue;
            int steps = task.Max(r => r.Steps);
            string seeds = task.Count() > 1 ? $", mean of {task.Count()} seeds" : "";
            return $"reaches {Percent(accuracy)} held-out accuracy on {task.Key} after {steps} steps{seeds} (minimum {Percent(minAccuracy)}, fidelity rung 0)";
        }
        return null;
    }

    private static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
