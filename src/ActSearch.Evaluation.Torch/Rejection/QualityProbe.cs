using System.Globalization;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Tasks;

namespace ActSearch.Evaluation.Torch.Rejection;

/// <summary>
/// Stage 5: a short training run on a proxy task (EvoNorms' quality rejection; <see cref="QualityProbeSettings"/>).
/// The default, 100 steps of <c>fmnist-mlp</c> for activations, takes about a second on two CPU cores.
/// </summary>
public sealed class QualityProbe(QualityProbeSettings settings, ProxyTrainer trainer) : IRejectionStage
{
    public string Name => StageNames.Quality;

    public QualityProbeSettings Settings { get; } = settings;

    public string? Check(ChainCandidate candidate, CancellationToken cancellation)
    {
        var s = Settings;
        var task = ProxyTasks.Get(s.TaskFor(candidate.IsLayer));
        task = task with { Spec = task.Spec.WithSteps(s.Steps).WithSeed(s.Seed) };
        var result = trainer.Run(task, Slots.For(candidate.Expr), cancellation);
        string where = $"on {task.Spec.Name} after {s.Steps} steps";
        if (result.Diverged) return $"training diverged (loss {Word(result.FinalTrainLoss)} at step {result.Steps + 1} of {s.Steps} on {task.Spec.Name})";
        if (result.Metric == TaskMetric.Accuracy && !(result.Accuracy >= s.MinAccuracy))
            return $"reaches {Percent(result.Accuracy)} held-out accuracy {where} (minimum {Percent(s.MinAccuracy)})";
        if (result.Metric == TaskMetric.Loss && !(result.Loss <= s.MaxLoss))
            return $"reaches held-out loss {NumericProbe.Num(result.Loss)} {where} (maximum {NumericProbe.Num(s.MaxLoss)})";
        return null;
    }

    private static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Word(double v) => double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? "Inf" : NumericProbe.Num(v);
}
