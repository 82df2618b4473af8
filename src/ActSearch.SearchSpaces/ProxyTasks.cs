using System.Collections.Immutable;
using ActSearch.Evolution;

namespace ActSearch.SearchSpaces;

/// <summary>
/// Proxy task names a search space may use. The evaluation project owns the tasks themselves; until it
/// registers them, this list is the contract, and callers extend it through <see cref="SearchSpaceLoadOptions.Tasks"/>.
/// </summary>
public static class ProxyTasks
{
    public static ImmutableArray<string> Known { get; } =
    [
        "fmnist-mlp",     // small MLP on a Fashion-MNIST subset
        "fmnist-cnn",     // small CNN on a Fashion-MNIST subset
        "fmnist-resnet",  // small ResNet on Fashion-MNIST: the layer-search proxy (EvoNorms used ResNets on CIFAR)
        "tabular-mlp",    // MLP on a tabular data set
        "deep-mlp",       // a deep, narrow MLP: gradient flow through many activations (PANGAEA)
        "regression",     // fit a target curve (symbolic-regression mode, CPU only)
    ];
}

/// <summary>An objective name a search space may use, with its natural direction and whether it is measured per task.</summary>
public sealed record KnownObjective(string Name, ObjectiveDirection Direction, bool PerTask, string Description);

public static class KnownObjectives
{
    public static ImmutableArray<KnownObjective> Default { get; } =
    [
        new("accuracy", ObjectiveDirection.Maximize, true, "test accuracy after proxy training"),
        new("loss", ObjectiveDirection.Minimize, true, "final loss of proxy training (or of the fit, for regression)"),
        new("complexity", ObjectiveDirection.Minimize, false, "nodes of the written-out tree (PySR's complexity)"),
        new("nodes", ObjectiveDirection.Minimize, false, "distinct nodes of the graph (EvoNorms' size)"),
        new("flops", ObjectiveDirection.Minimize, false, "nominal floating-point operations per element"),
        new("parameters", ObjectiveDirection.Minimize, false, "learnable parameters of the candidate"),
        new("latency", ObjectiveDirection.Minimize, false, "measured forward time of the candidate on a fixed tensor, microseconds"),
        new("sparsity", ObjectiveDirection.Maximize, true, "share of near-zero outputs of the candidate inside the trained network (ProSparse, CHESS)"),
    ];
}

/// <summary>What the loader accepts besides the schema itself.</summary>
public sealed record SearchSpaceLoadOptions
{
    public static SearchSpaceLoadOptions Default { get; } = new();

    /// <summary>Proxy task names that <c>tasks:</c>, objectives and the quality probe may name.</summary>
    public ImmutableArray<string> Tasks { get; init; } = ProxyTasks.Known;

    public ImmutableArray<KnownObjective> Objectives { get; init; } = KnownObjectives.Default;

    /// <summary>Largest accepted file, in bytes for files and characters for text (guards against huge documents).</summary>
    public int MaxFileSize { get; init; } = 1 << 20;

    /// <summary>Deepest accepted nesting of mappings and sequences (the schema needs 4; this stops stack-exhausting input).</summary>
    public int MaxNesting { get; init; } = 32;
}
