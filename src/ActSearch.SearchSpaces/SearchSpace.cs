using System.Collections.Immutable;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.SearchSpaces;

/// <summary>What a search space's candidates are.</summary>
public enum SearchSpaceKind
{
    /// <summary>Scalar activation functions f(x), applied element-wise (Swish search, PANGAEA, GP).</summary>
    Activation,

    /// <summary>Normalization-activation layers over NCHW tensors, with aggregates (EvoNorms).</summary>
    Layer,
}

/// <summary>
/// One search space, as a YAML file in <c>search-spaces/</c> describes it: what candidates may contain
/// (<see cref="Evolution"/>), how they are scored (<see cref="Tasks"/>, the objectives inside
/// <see cref="Evolution"/>), how bad ones are thrown out early (<see cref="Rejection"/>), and which known
/// formulas start the search (<see cref="Seeds"/>). Built by <see cref="SearchSpaceLoader"/>, which checks
/// every field, so a <see cref="SearchSpace"/> in hand is always valid.
/// </summary>
public sealed record SearchSpace
{
    /// <summary>Short identifier, e.g. <c>evonorm-b</c>.</summary>
    public required string Name { get; init; }

    public string Description { get; init; } = "";

    public required SearchSpaceKind Kind { get; init; }

    /// <summary>Seed of the job's random generator unless the caller gives another (<c>--seed</c>).</summary>
    public ulong Seed { get; init; } = SearchSpaceDefaults.Seed;

    /// <summary>The engine's options: genome, operators, selection, constant optimization, objectives, budget.</summary>
    public required EvolutionOptions Evolution { get; init; }

    /// <summary>Proxy tasks every surviving candidate is trained on, in order.</summary>
    public required ImmutableArray<string> Tasks { get; init; }

    /// <summary>
    /// The rejection chain's settings as the evaluation chain takes them (one declaration: <c>RejectionChainSettings</c>
    /// in ActSearch.Evaluation). The static limits default to the genome's, the quality probe to the first task.
    /// </summary>
    public required RejectionChainSettings Rejection { get; init; }

    /// <summary>Known formulas put into the initial population (the rest is drawn at random).</summary>
    public ImmutableArray<SeedFormula> Seeds { get; init; } = [];

    /// <summary>The file (or resource) it was read from, as errors name it.</summary>
    public string Source { get; init; } = "";
}

/// <summary>A formula from the <c>seeds:</c> list: its optional name, its text as written, and the parsed graph.</summary>
public sealed record SeedFormula(string? Name, string Text, Expr Expr)
{
    public override string ToString() => Name is null ? Text : $"{Name}: {Text}";
}

/// <summary>Defaults a search-space file may leave out.</summary>
public static class SearchSpaceDefaults
{
    public const ulong Seed = 1;

    /// <summary>The engine's own default budget.</summary>
    public const int Evaluations = 1000;

    /// <summary>The largest evaluation budget a space (or an override from the CLI or the API) may ask for.</summary>
    public const int MaxEvaluations = 100_000_000;

    public static ImmutableArray<string> Tasks(SearchSpaceKind kind) =>
        kind == SearchSpaceKind.Layer ? ["fmnist-resnet"] : ["fmnist-mlp"];

    /// <summary>EvoNorms' aggregates: mean, second moment and standard deviation over batch, layer, instance and group axes.</summary>
    public static ImmutableArray<string> LayerAggregates { get; } =
    [
        "batch_mean", "batch_m2", "batch_std",
        "layer_mean", "layer_m2", "layer_std",
        "instance_mean", "instance_m2", "instance_std",
        "group_mean", "group_m2", "group_std",
    ];
}
