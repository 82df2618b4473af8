using System.Collections.Immutable;
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

    public required RejectionSettings Rejection { get; init; }

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

/// <summary>The rejection chain's settings, one record per stage, in the order the stages run.</summary>
public sealed record RejectionSettings
{
    public StaticCheck Static { get; init; } = new();

    public NumericProbe Numeric { get; init; } = new();

    public DuplicateCheck Duplicate { get; init; } = new();

    public StabilityProbe Stability { get; init; } = new();

    public required QualityProbe Quality { get; init; }
}

/// <summary>Limits checked on the graph alone, before anything is computed. Defaults are the genome's limits.</summary>
public sealed record StaticCheck
{
    public bool Enabled { get; init; } = true;

    public int MaxNodes { get; init; } = new GenomeOptions().MaxNodes;

    public int MaxDepth { get; init; } = new GenomeOptions().MaxDepth;

    public int MaxParameters { get; init; } = new GenomeOptions().MaxParameters;
}

/// <summary>
/// The candidate evaluated on seeded N(0, 1) probe inputs (AQuaSurF's 1,000 samples): NaN/Inf, a near-constant
/// output and an exploding output are rejected before any training.
/// </summary>
public sealed record NumericProbe
{
    public bool Enabled { get; init; } = true;

    /// <summary>Probe inputs drawn from N(0, 1) with a fixed seed.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>Rejected when the output's standard deviation over the probe is below this (a constant carries no signal).</summary>
    public double NearConstantStd { get; init; } = 1e-3;

    /// <summary>Rejected when max |f(x)| exceeds this factor times max |x| over the probe.</summary>
    public double ExplosionScale { get; init; } = 1e3;

    /// <summary>Largest share of NaN or infinite outputs tolerated (0: any one rejects).</summary>
    public double MaxNonFiniteFraction { get; init; }
}

/// <summary>Functionally equal candidates (same fingerprint) are scored once (AutoML-Zero's equivalence cache).</summary>
public sealed record DuplicateCheck
{
    public bool Enabled { get; init; } = true;

    /// <summary>Fingerprints remembered (LRU); maps to <see cref="EvolutionOptions.FingerprintCacheSize"/>.</summary>
    public int CacheSize { get; init; } = new EvolutionOptions().FingerprintCacheSize;
}

/// <summary>EvoNorms' stability rejection: a layer whose gradient norm at initialization exceeds the limit is thrown out.</summary>
public sealed record StabilityProbe
{
    public bool Enabled { get; init; } = true;

    public double MaxGradientNorm { get; init; } = 1e3;
}

/// <summary>EvoNorms' quality rejection: a short training run; below <see cref="MinAccuracy"/> the candidate is thrown out.</summary>
public sealed record QualityProbe
{
    public bool Enabled { get; init; } = true;

    /// <summary>The proxy task the short run trains on.</summary>
    public required string Task { get; init; }

    public int Steps { get; init; } = 100;

    /// <summary>EvoNorms discard layers below 20% CIFAR-10 accuracy after 100 steps.</summary>
    public double MinAccuracy { get; init; } = 0.2;
}

/// <summary>Defaults a search-space file may leave out.</summary>
public static class SearchSpaceDefaults
{
    public const ulong Seed = 1;

    /// <summary>The engine's own default budget.</summary>
    public const int Evaluations = 1000;

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
