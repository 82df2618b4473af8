using System.Collections.Immutable;

namespace ActSearch.Evaluation.Rejection;

/// <summary>
/// The rejection chain's settings, one record per stage, in the order the stages run (cheapest first): the one
/// declaration. A search space reads its <c>rejection:</c> section into this record (search-spaces/README.md names the
/// YAML fields; the static limits default to the space's genome limits there); every field has a documented default.
/// </summary>
public sealed record RejectionChainSettings
{
    public StaticLimitSettings Static { get; init; } = new();

    public NumericProbeSettings Numeric { get; init; } = new();

    public DuplicateSettings Duplicate { get; init; } = new();

    public StabilityProbeSettings Stability { get; init; } = new();

    public QualityProbeSettings Quality { get; init; } = new();
}

/// <summary>Limits checked on the graph alone, before anything is computed (microseconds).</summary>
public sealed record StaticLimitSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Most distinct nodes of the graph (EvoNorms allow 14 for layers; free GP trees need more).</summary>
    public int MaxNodes { get; init; } = 64;

    /// <summary>Most nodes on a path from the root to a leaf.</summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>Most nodes of the written-out tree (PySR's complexity).</summary>
    public int MaxComplexity { get; init; } = 128;

    /// <summary>Most learnable parameters the formula may declare.</summary>
    public int MaxParameters { get; init; } = 8;

    /// <summary>Primitive names a candidate may not use (e.g. <c>pow</c> in a space without it).</summary>
    public ImmutableHashSet<string> ForbiddenPrimitives { get; init; } = [];

    /// <summary>The formula must mention x (a function of parameters alone carries no signal).</summary>
    public bool RequireInput { get; init; } = true;
}

/// <summary>
/// The numeric probe: the candidate evaluated with the CPU evaluator on seeded inputs, before any training.
/// Scalar activations are probed at <see cref="Samples"/> seeded N(0, 1) points plus the grid -6, -5.7, ..., 6
/// (which contains 0); layers on a seeded NCHW tensor (<c>Fingerprint.LayerProbe</c>, shape (4, 64, 3, 3)).
/// In this order, a candidate is rejected when
/// <list type="number">
/// <item>more than <see cref="MaxNonFiniteFraction"/> of its outputs are NaN, then ±Inf (any, by default);</item>
/// <item>the standard deviation of its outputs is below <see cref="NearConstantStd"/> (0: constant);</item>
/// <item>(activations, when <see cref="RejectAffine"/>) it is affine on the probe: the least-squares line leaves a
/// residual RMS below 1e-6 of the outputs' standard deviation (x, 2x, x + 1: the network collapses into a linear map);</item>
/// <item>it explodes: at one of the <see cref="ScaledInputs"/> (±1, ±2, ±5, ±10, ±20 for activations; the layer probe
/// times each of them for layers) |f(x)| exceeds <see cref="ExplosionScale"/> * max(1, |x|)^<see cref="GrowthDegree"/>
/// or is not finite: growth faster than that polynomial (by default, faster than 1000 |x|);</item>
/// <item>its derivative is ~0 on the whole probe: max |f'(x)| below <see cref="MinDerivative"/> (forward-mode
/// derivatives for activations; for layers, the central difference along a seeded direction, per unit of input).</item>
/// </list>
/// </summary>
public sealed record NumericProbeSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Seeded N(0, 1) probe points (AQuaSurF's 1,000 samples).</summary>
    public int Samples { get; init; } = 1000;

    public ulong Seed { get; init; } = 0x5EED_0001;

    /// <summary>Largest share of NaN or infinite outputs tolerated (0: any one rejects).</summary>
    public double MaxNonFiniteFraction { get; init; }

    /// <summary>Rejected when the outputs' standard deviation over the probe is below this.</summary>
    public double NearConstantStd { get; init; } = 1e-3;

    /// <summary>Reject activations that are affine on the probe (a network of them is a linear model).</summary>
    public bool RejectAffine { get; init; } = true;

    /// <summary>The factor of the growth bound ExplosionScale * max(1, |x|)^GrowthDegree.</summary>
    public double ExplosionScale { get; init; } = 1e3;

    /// <summary>The degree of the growth bound: 1 allows up to cubic growth at |x| = 20 with the default scale, not x^4 or exp(x).</summary>
    public double GrowthDegree { get; init; } = 1;

    /// <summary>Magnitudes of the explosion test's inputs (each taken with both signs for activations).</summary>
    public ImmutableArray<double> ScaledInputs { get; init; } = DefaultScaledInputs;

    // One shared array, so settings with the default compare equal (ImmutableArray compares by reference).
    private static readonly ImmutableArray<double> DefaultScaledInputs = [1, 2, 5, 10, 20];

    /// <summary>Rejected when the largest |f'(x)| over the probe is below this.</summary>
    public double MinDerivative { get; init; } = 1e-6;
}

/// <summary>Functionally equal candidates (same fingerprint) are trained once (AutoML-Zero's equivalence cache).</summary>
public sealed record DuplicateSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>Fingerprints remembered by the default cache (least recently used are forgotten first).</summary>
    public int CacheSize { get; init; } = 100_000;
}

/// <summary>
/// The stability probe, a gradient-norm test at initialization (in the spirit of EvoNorms' stability rejection).
/// The candidate fills every slot of a plain deep network: <see cref="Depth"/> blocks of (Kaiming-normal linear layer of
/// width <see cref="Width"/>, or 3x3 convolution of <see cref="Channels"/> channels on 8x8 maps for layers; biases 0)
/// followed by the candidate, then a linear head to 10 classes and cross-entropy against seeded labels, on a seeded
/// N(0, 1) batch (<see cref="Batch"/> rows, or 16 images for layers), in training mode. Weights and inputs come from
/// a fixed generator, so the probe is the same on every run. Measured at each block l: the RMS a_l of the candidate's
/// input z_l, and the RMS g_l of dLoss/dz_l. Rejected when
/// <list type="number">
/// <item>any forward value, the loss, or any gradient (of the z_l or of a parameter) is NaN or infinite;</item>
/// <item>the signal explodes or vanishes through depth: some a_l / a_1 is above <see cref="MaxForwardRatio"/> or below its inverse;</item>
/// <item>the gradient explodes or vanishes through depth: some g_l / g_Depth is above <see cref="MaxGradientNorm"/> or below its inverse.</item>
/// </list>
/// With the defaults, relu keeps both ratios near 1, swish and tanh within 0.1 to 10, and 3x or exp(x) fail.
/// </summary>
public sealed record StabilityProbeSettings
{
    public bool Enabled { get; init; } = true;

    public int Depth { get; init; } = 8;

    public int Width { get; init; } = 64;

    public int Channels { get; init; } = 32;

    public int Batch { get; init; } = 128;

    public ulong Seed { get; init; } = 0x57AB_1E;

    /// <summary>Largest growth (or, inverted, decay) of the layer inputs' RMS from the first block to any later one.</summary>
    public double MaxForwardRatio { get; init; } = 1e3;

    /// <summary>Largest growth (or, inverted, decay) of the gradient RMS from the last block back to any earlier one.</summary>
    public double MaxGradientNorm { get; init; } = 1e3;
}

/// <summary>
/// The quality probe: a short training run (EvoNorms discard layers below 20% CIFAR-10 accuracy after 100 steps).
/// Rejected when held-out accuracy is below <see cref="MinAccuracy"/> (classification tasks), the loss is above
/// <see cref="MaxLoss"/> (loss tasks), or training diverges.
/// </summary>
public sealed record QualityProbeSettings
{
    public bool Enabled { get; init; } = true;

    /// <summary>The proxy task of the short run; null: <c>fmnist-mlp</c> for activations, <c>fmnist-resnet</c> for layers.</summary>
    public string? Task { get; init; }

    public int Steps { get; init; } = 100;

    public double MinAccuracy { get; init; } = 0.2;

    public double MaxLoss { get; init; } = double.PositiveInfinity;

    public ulong Seed { get; init; } = 1;

    public string TaskFor(bool layer) => Task ?? (layer ? "fmnist-resnet" : "fmnist-mlp");
}
