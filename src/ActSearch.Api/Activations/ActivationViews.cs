namespace ActSearch.Api;

/// <summary>The best value of one objective on one task seen for a function, and the candidate that scored it.</summary>
public sealed record ScoreView(string Objective, string? Task, double Value, string Goal, Guid JobId, long CandidateId);

/// <summary>A catalog entry in a listing (docs/http-api.md, "ActivationSummary"); <see cref="Curve"/> is null for layers.</summary>
public sealed record ActivationSummary(
    string Id,
    string Formula,
    string Latex,
    int TimesSeen,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    Guid FirstJob,
    Guid LatestJob,
    IReadOnlyList<ScoreView> Scores,
    double[][]? Curve);

/// <summary>A job in which the function was found.</summary>
public sealed record ActivationJob(Guid JobId, string Name, long CandidateId);

/// <summary>One catalog entry in full (docs/http-api.md, "Activation").</summary>
public sealed record Activation(
    string Id,
    string Formula,
    string Latex,
    int TimesSeen,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    Guid FirstJob,
    Guid LatestJob,
    IReadOnlyList<ScoreView> Scores,
    double[][]? Curve,
    double[][]? Derivative,
    int Nodes,
    int Complexity,
    IReadOnlyList<string> Parameters,
    bool IsLayer,
    IReadOnlyList<ActivationJob> Jobs,
    IReadOnlyDictionary<string, string> Exports,
    IReadOnlyList<LearnedUnitView>? LearnedUnits = null,
    FeaturesView? Features = null);

/// <summary>
/// What a surrogate sees of the function before training it (AQuaSurF's two features): the probe features, f and f' at the
/// probe points after asinh (a layer: <see cref="ProbeValues"/> at 128 fixed positions of the layer probe, no points and no
/// slopes), and the feature vectors kept for it (the Fisher spectrum per task, for functions a job's surrogate measured).
/// </summary>
public sealed record FeaturesView(double[]? ProbePoints, double[] ProbeValues, double[]? ProbeSlopes, IReadOnlyList<KeptFeaturesView> Kept);

/// <summary>
/// One kept feature vector: its kind (<c>fisher</c>: log10 of the largest eigenvalues of the task network's Fisher
/// information at initialization, largest first), task, method version, values, the seconds it took and when.
/// </summary>
public sealed record KeptFeaturesView(string Kind, string Task, int Version, double[] Values, double Seconds, DateTimeOffset ComputedAt);

/// <summary>
/// A learned unit of the formula (<c>rational{5,4}</c>, <c>spline{3,8}</c>): its name in the graph (its coefficients are
/// <c>{Name}_p0</c>, ...), what it computes, its learnable numbers (all groups) and FLOPs per element, the function its
/// coefficients were fitted to and that fit's RMS error over the fit interval (null when the coefficients were given).
/// </summary>
public sealed record LearnedUnitView(string Name, string Spec, string Description, int Parameters, double Flops, string? Init, double? FitError,
    double[] FitInterval);
