using System.Collections.Immutable;

namespace ActSearch.Evaluation.Rejection;

/// <summary>What the full evaluation (the chain's last step) trains: which proxy tasks, with how many seeds.</summary>
public sealed record EvaluationPlan
{
    /// <summary>Proxy task names, in order; empty: <see cref="DefaultTasks"/> for the candidate's kind.</summary>
    public ImmutableArray<string> Tasks { get; init; } = [];

    /// <summary>K: every task is trained with seeds FirstSeed, FirstSeed + 1, ..., FirstSeed + K - 1.</summary>
    public int Seeds { get; init; } = 1;

    public ulong FirstSeed { get; init; } = 1;

    /// <summary>Training steps per run; null: each task's own budget.</summary>
    public int? Steps { get; init; }

    /// <summary>Train and score on each task's full data set (a fidelity rung with <c>data: full</c>) instead of its committed data.</summary>
    public bool FullData { get; init; }

    /// <summary>Timed forward passes of the candidate module for the latency objective (the median is kept).</summary>
    public int LatencyRepeats { get; init; } = 15;

    /// <summary>The tasks a candidate is trained on when none are named: the Fashion-MNIST MLP and CNN for activations, the ResNet for layers.</summary>
    public static ImmutableArray<string> DefaultTasks(bool layer) => layer ? ["fmnist-resnet"] : ["fmnist-mlp", "fmnist-cnn"];

    public ImmutableArray<string> TasksFor(bool layer) => Tasks.IsDefaultOrEmpty ? DefaultTasks(layer) : Tasks;

    public IEnumerable<ulong> SeedValues => Enumerable.Range(0, Seeds).Select(k => FirstSeed + (ulong)k);
}
