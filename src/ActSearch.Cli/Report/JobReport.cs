using ActSearch.Evaluation.Torch.HeldOut;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.Storage;

namespace ActSearch.Cli.Report;

/// <summary>
/// An evaluated candidate as the report shows it: its objective values in the job's objective order.
/// <paramref name="IsSeed"/>: one of the space's seeds, which the search started from rather than found.
/// <paramref name="Rung"/>: the fidelity rung its values come from (its highest evaluated one).
/// </summary>
public sealed record ReportCandidate(long Id, int Generation, Expr Genome, IReadOnlyList<double> Objectives, bool OnFront, bool IsSeed = false, int Rung = 0)
{
    public string Name => IsSeed ? $"#{Id} (seed)" : $"#{Id}";

    public string Formula => TextPrinter.PrintCanonical(Genome);
}

/// <summary>A stage of the rejection funnel: candidates it removed and the workers' seconds spent on them.</summary>
public sealed record ReportStage(string Stage, long Removed, double Seconds);

/// <summary>The front after one generation: its size and the best value of the primary objective on it.</summary>
public sealed record ReportGeneration(int Generation, int FrontSize, double Best);

/// <summary>Everything a report shows about one job, read from storage (and the held-out evaluation, when it ran).</summary>
public sealed record JobReport
{
    public required JobRecord Job { get; init; }

    public required bool IsLayer { get; init; }

    public required IReadOnlyList<string> SearchTasks { get; init; }

    public required IReadOnlyList<string> Objectives { get; init; }

    public required IReadOnlyList<ObjectiveDirection> Directions { get; init; }

    /// <summary>Index of the objective the report ranks by: the first task-specific one (accuracy or loss), else the first.</summary>
    public required int Primary { get; init; }

    public required IReadOnlyList<ReportCandidate> Evaluated { get; init; }

    /// <summary>
    /// The best distinct functions by the primary objective, best first (the ones the held-out evaluation re-trains); with
    /// fidelity rungs, a higher rung first (values of different rungs are not compared).
    /// </summary>
    public required IReadOnlyList<ReportCandidate> Top { get; init; }

    public required long Proposed { get; init; }

    /// <summary>The chain's stages in order, then "trained" (the survivors' full training: Removed 0).</summary>
    public required IReadOnlyList<ReportStage> Funnel { get; init; }

    /// <summary>Candidates a worker trained (outcomes copied from an earlier twin are not counted: see <see cref="CacheHits"/>).</summary>
    public required long EvaluatedCount { get; init; }

    /// <summary>Candidates whose outcome was copied from an earlier candidate with the same fingerprint (in the funnel's duplicate stage).</summary>
    public long CacheHits { get; init; }

    public required long Failed { get; init; }

    public required long Cancelled { get; init; }

    public required IReadOnlyList<ReportGeneration> History { get; init; }

    /// <summary>Each fidelity rung (none for a job without rungs): what it trains, scored, evaluated, promoted, seconds.</summary>
    public IReadOnlyList<ActSearch.Api.RungView> Rungs { get; init; } = [];

    public HeldOutResult? HeldOut { get; init; }

    /// <summary>Why there is no held-out evaluation, or what to know about it (e.g. layers re-trained on the search task).</summary>
    public IReadOnlyList<string> HeldOutNotes { get; init; } = [];

    public required DateTimeOffset GeneratedAt { get; init; }

    public string PrimaryName => Objectives.Count == 0 ? "objective" : Objectives[Primary];

    public bool Maximize(int objective) => Directions[objective] == ObjectiveDirection.Maximize;

    /// <summary>Mean seconds a fully trained candidate cost (chain + training), NaN when none was trained.</summary>
    public double SecondsPerTrained => EvaluatedCount == 0 ? double.NaN : Funnel[^1].Seconds / EvaluatedCount;

    /// <summary>
    /// Estimated worker seconds the stage saved: each removed candidate would otherwise have cost a full training
    /// (the mean of the trained ones), minus what the chain up to the stage did cost.
    /// </summary>
    public double Saved(ReportStage stage) => double.IsFinite(SecondsPerTrained) ? stage.Removed * SecondsPerTrained - stage.Seconds : double.NaN;
}
