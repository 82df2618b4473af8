namespace ActSearch.Api;

/// <summary>A job as the API shows it (docs/http-api.md, "Job").</summary>
public sealed record JobView(
    Guid Id,
    string Name,
    string Owner,
    string Space,
    string State,
    string Seed,
    long? BudgetEvaluations,
    double? BudgetWallTime,
    int Generation,
    long Scored,
    long Evaluated,
    long Rejected,
    long Failed,
    long Cancelled,
    long CacheHits,
    int InFlight,
    IReadOnlyDictionary<string, long> RejectedByStage,
    IReadOnlyList<string> Objectives,
    IReadOnlyList<string> Directions,
    IReadOnlyDictionary<string, FrontEntryView> Best,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double RunningTime,
    string? Error,
    IReadOnlyList<RungView> Rungs)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFinal => IsFinalState(State);

    /// <summary>Whether a job's <c>state</c> as the API writes it is final (finished, failed, cancelled).</summary>
    public static bool IsFinalState(string? state) => state is "finished" or "failed" or "cancelled";
}

/// <summary>One non-dominated candidate; <see cref="Objectives"/> in the job's objective order.</summary>
public sealed record FrontEntryView(long CandidateId, int Generation, string ActivationId, string Formula, string Latex, IReadOnlyList<double> Objectives, int Rung = 0);

/// <summary>
/// One fidelity rung of a job (docs/http-api.md, "Rungs"): what it trains, candidates a worker scored there, of them
/// evaluated, candidates promoted from it to the next rung, and the worker seconds spent there (null in a live view).
/// </summary>
public sealed record RungView(int Rung, string? Training, long Scored, long Evaluated, long Promoted, double? Seconds);

/// <summary>A page of a listing.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, long Total, int Page, int PageSize);

/// <summary>The front after a generation.</summary>
public sealed record FrontView(
    Guid JobId, int Generation, IReadOnlyList<int> Generations, IReadOnlyList<string> Objectives, IReadOnlyList<string> Directions,
    IReadOnlyList<FrontEntryView> Members);

/// <summary>The rejection funnel: stages in chain order, then the training of the survivors ("trained").</summary>
/// <remarks>The stages count candidates at the lowest fidelity rung; <see cref="Rungs"/> has every rung (empty without rungs).</remarks>
public sealed record FunnelView(Guid JobId, long Proposed, IReadOnlyList<FunnelStage> Stages, long CacheHits, long Failed, long Cancelled, long Evaluated, IReadOnlyList<RungView> Rungs);

public sealed record FunnelStage(string Stage, long Removed, double Seconds);
