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
    IReadOnlyList<LearnedUnitView>? LearnedUnits = null);

/// <summary>
/// A learned unit of the formula (<c>rational{5,4}</c>, <c>spline{3,8}</c>): its name in the graph (its coefficients are
/// <c>{Name}_p0</c>, ...), what it computes, its learnable numbers (all groups) and FLOPs per element, the function its
/// coefficients were fitted to and that fit's RMS error over the fit interval (null when the coefficients were given).
/// </summary>
public sealed record LearnedUnitView(string Name, string Spec, string Description, int Parameters, double Flops, string? Init, double? FitError,
    double[] FitInterval);
