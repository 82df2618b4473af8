using System.Collections.Immutable;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Objectives;

/// <summary>How an objective is measured.</summary>
public enum ObjectiveSource
{
    /// <summary>Read off the training runs on one proxy task (per task: <c>accuracy@fmnist-cnn</c>).</summary>
    Training,

    /// <summary>Counted on the formula's graph, without running it.</summary>
    Graph,

    /// <summary>Timed: the candidate module's forward pass on a fixed tensor.</summary>
    Timing,

    /// <summary>Read off the training runs of every task the candidate trained on, together (no <c>@task</c>).</summary>
    AcrossTasks,
}

/// <summary>What a scorer hands the registry to read objective values from.</summary>
/// <param name="Formula">The formula as scored (canonical, or with its fitted constants).</param>
/// <param name="Runs">The training runs of the objective's task (all runs for an objective without a task).</param>
/// <param name="Latency">The forward-pass timing; null when the scorer does not time candidates.</param>
public sealed record Measurements(Expr Formula, IReadOnlyList<ProxyTaskResult> Runs, Latency? Latency = null);

/// <summary>
/// An objective a search space may name: its natural direction (a space may override it), whether it is measured per
/// task, how, and the function that reads its value off a candidate's <see cref="Measurements"/> (null: this scorer
/// did not measure what it needs).
/// </summary>
public sealed record ObjectiveDefinition(
    string Name, ObjectiveDirection Direction, ObjectiveSource Source, string Description, Func<Measurements, double?> Measure)
{
    public bool PerTask => Source == ObjectiveSource.Training;
}

/// <summary>
/// Every objective, declared once. The search space loader checks names and fills directions from here, the scorers
/// compute values through <see cref="TryMeasure"/>, and the API serves the list (<c>GET /api/catalog/objectives</c>)
/// to the web UI and the CLI. To add an objective: an entry here (and, if it needs a new measurement, a field of
/// <see cref="Measurements"/> that the scorer fills).
/// </summary>
public static class ObjectiveRegistry
{
    public static ImmutableArray<ObjectiveDefinition> All { get; } =
    [
        new("accuracy", ObjectiveDirection.Maximize, ObjectiveSource.Training, "test accuracy after proxy training (mean over seeds; a diverged run counts 0)",
            m => m.Runs.Count == 0 ? null : m.Runs.Average(TaskSummary.ValueOf)),
        new("loss", ObjectiveDirection.Minimize, ObjectiveSource.Training, "final held-out loss of proxy training (or of the fit, for regression)",
            m => m.Runs.Count == 0 ? null : m.Runs.Average(r => r.Loss)),
        new("complexity", ObjectiveDirection.Minimize, ObjectiveSource.Graph, "nodes of the written-out tree (PySR's complexity)",
            m => m.Formula.Complexity()),
        new("nodes", ObjectiveDirection.Minimize, ObjectiveSource.Graph, "distinct nodes of the graph (EvoNorms' size)",
            m => m.Formula.NodeCount()),
        new("flops", ObjectiveDirection.Minimize, ObjectiveSource.Graph, "nominal floating-point operations per element",
            m => m.Formula.Flops()),
        new("parameters", ObjectiveDirection.Minimize, ObjectiveSource.Graph, "learnable numbers of the candidate: its parameters and its learned units' coefficients",
            m => m.Formula.ParameterCount()),
        new("latency", ObjectiveDirection.Minimize, ObjectiveSource.Timing, "measured forward time of the candidate on a fixed tensor, microseconds",
            m => m.Latency?.Microseconds),
        new(RobustGain, ObjectiveDirection.Maximize, ObjectiveSource.AcrossTasks,
            "the worst task's gain over that task's reference (the best standard baseline): the share of the reference's error (accuracy) or loss that the candidate removes, over every task it trained on; 0 is level, negative is worse",
            m => WorstGain(m.Runs)),
        new("sparsity", ObjectiveDirection.Maximize, ObjectiveSource.Training,
            "share of near-zero outputs of the candidate inside the trained network (ProSparse, CHESS)",
            m => m.Runs.Count == 0 ? null : m.Runs.Average(r => r.ActivationSparsity)),
    ];

    /// <summary>The robust objective's name: a search that names it prefers functions that do not collapse on any of its tasks.</summary>
    public const string RobustGain = "robust_gain";

    /// <summary>
    /// The smallest <see cref="TaskReference.Gain"/> over the tasks of <paramref name="runs"/> (each task's mean score over
    /// its seeds); null when there is no run or a task has no reference.
    /// </summary>
    public static double? WorstGain(IReadOnlyList<ProxyTaskResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) return null;
        double worst = double.PositiveInfinity;
        foreach (var task in runs.GroupBy(r => r.Task))
        {
            if (!TaskCatalog.TryGet(task.Key, out var spec) || spec.Reference is not { } reference) return null;
            worst = Math.Min(worst, reference.Gain(task.Average(TaskSummary.ValueOf), spec.Metric));
        }
        return worst;
    }

    /// <summary>The objective names, in registry order.</summary>
    public static ImmutableArray<string> Names { get; } = [.. All.Select(o => o.Name)];

    public static ObjectiveDefinition? Find(string name) => All.FirstOrDefault(o => o.Name == name);

    /// <summary>The direction of an objective name (<c>accuracy</c> or a key such as <c>accuracy@fmnist-cnn</c>); null when unknown.</summary>
    public static ObjectiveDirection? DirectionOf(string nameOrKey)
    {
        int at = nameOrKey.IndexOf('@', StringComparison.Ordinal);
        return Find(at < 0 ? nameOrKey : nameOrKey[..at])?.Direction;
    }

    /// <summary>
    /// The values of <paramref name="objectives"/> (in their order) from one candidate's measurements: a per-task
    /// objective reads the runs of its task only. False with a reason naming <paramref name="scorer"/> when an
    /// objective is unknown, names a task that was not trained, or needs a measurement the scorer did not make.
    /// </summary>
    public static bool TryMeasure(
        IReadOnlyList<Objective> objectives, Expr formula, IReadOnlyList<ProxyTaskResult> runs, Latency? latency, string scorer,
        out ImmutableArray<double> values, out string? error)
    {
        var b = ImmutableArray.CreateBuilder<double>(objectives.Count);
        foreach (var o in objectives)
        {
            var onTask = o.Task is null ? runs : [.. runs.Where(r => r.Task == o.Task)];
            if (o.Task is not null && onTask.Count == 0)
                return Fail($"The objective '{o.Key}' names a task that was not trained.", out values, out error);
            if (Find(o.Name)?.Measure(new Measurements(formula, onTask, latency)) is not { } value)
                return Fail($"{scorer} cannot measure the objective '{o.Key}'.", out values, out error);
            b.Add(value);
        }
        values = b.MoveToImmutable();
        error = null;
        return true;
    }

    private static bool Fail(string reason, out ImmutableArray<double> values, out string? error)
    {
        values = default;
        error = reason;
        return false;
    }
}
