using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Grains;

/// <summary>Where a search job is in its life. Finished, Failed and Cancelled are final.</summary>
public enum JobState
{
    Queued,
    Running,
    Paused,
    Finished,
    Failed,
    Cancelled,
}

public static class JobStates
{
    /// <summary>True in Finished, Failed and Cancelled: the one definition the grain, the stores and the status use.</summary>
    public static bool IsFinal(this JobState s) => s is JobState.Finished or JobState.Failed or JobState.Cancelled;
}

/// <summary>
/// What a client submits: a search space as YAML text (validated by <c>SearchSpaceLoader</c>; errors name
/// <paramref name="SpaceFileName"/>), and overrides of the space's seed and budget.
/// </summary>
[GenerateSerializer, Immutable, Alias("ActSearch.JobSpec.v1")]
public sealed record JobSpec(
    string SpaceYaml,
    string SpaceFileName,
    string Name = "",
    string Owner = "",
    ulong? Seed = null,
    int? BudgetEvaluations = null,
    TimeSpan? BudgetWallTime = null);

/// <summary>
/// One non-dominated candidate: its genome (the refined one when the scorer tuned it) and raw objective values, in the
/// space's objective order, measured at fidelity rung <paramref name="Rung"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("ActSearch.FrontEntry.v1")]
public sealed record FrontEntry(long CandidateId, int Generation, Expr Genome, string Formula, ImmutableArray<double> Objectives, int Rung = 0);

/// <summary>
/// One fidelity rung of a job: what it trains ("300 steps x 3 seeds"), hand-outs a worker scored there, candidates
/// evaluated there, candidates promoted from it.
/// </summary>
[GenerateSerializer, Immutable, Alias("ActSearch.RungStatus.v1")]
public sealed record RungStatus(int Rung, string Training, long Scored, long Evaluated, long Promoted);

/// <summary>
/// A job as its grain sees it now. Counts follow the engine: <see cref="Scored"/> is what the evaluation budget
/// counts (outcomes from workers); <see cref="CacheHits"/> took a known function's outcome without scoring.
/// <see cref="RejectedByStage"/> counts the rejections that workers reported, by stage. With fidelity rungs the counts
/// are of candidates at the lowest rung, <see cref="Rungs"/> has each rung's, and the front is the highest rung's.
/// </summary>
[GenerateSerializer, Immutable, Alias("ActSearch.JobStatus.v1")]
public sealed record JobStatus(
    Guid JobId,
    string Name,
    string Owner,
    JobState State,
    ulong Seed,
    int? BudgetEvaluations,
    TimeSpan? BudgetWallTime,
    int Generation,
    long Scored,
    long Evaluated,
    long Rejected,
    long Failed,
    long Cancelled,
    long CacheHits,
    int InFlight,
    long Redispatched,
    ImmutableDictionary<string, long> RejectedByStage,
    ImmutableArray<string> Objectives,
    ImmutableDictionary<string, FrontEntry> BestPerObjective,
    ImmutableArray<FrontEntry> Front,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    TimeSpan RunningTime,
    string? Error,
    ImmutableArray<RungStatus> Rungs = default)
{
    /// <summary>True in Finished, Failed and Cancelled.</summary>
    public bool IsFinal => State.IsFinal();

    /// <summary>The status of a job id nobody submitted.</summary>
    public static JobStatus Unknown(Guid jobId) => new(
        jobId, "", "", JobState.Queued, 0, null, null, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ImmutableDictionary<string, long>.Empty, [], ImmutableDictionary<string, FrontEntry>.Empty, [], null, null, TimeSpan.Zero, null, []);
}

/// <summary>
/// One problem with a submitted job: a search-space error at its 1-based line and column of <see cref="File"/>, or,
/// with line 0, a problem with the submission itself (a budget that is not positive).
/// </summary>
[GenerateSerializer, Immutable, Alias("ActSearch.JobProblem.v1")]
public sealed record JobProblem(string File, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form <c>file:line:column: message</c>, or the message alone without a position.</summary>
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : Message;
}

/// <summary>
/// A job the job grain refused, with every problem as an item (not a joined string), so the API and the CLI report them
/// as the space's loader found them. An <see cref="ArgumentException"/>: the submission is the caller's mistake.
/// </summary>
[GenerateSerializer, Alias("ActSearch.InvalidJobException.v1")]
public sealed class InvalidJobException : ArgumentException
{
    public InvalidJobException()
    {
    }

    public InvalidJobException(string message)
        : this([new JobProblem("", 0, 0, message)])
    {
    }

    public InvalidJobException(string message, Exception inner)
        : base(message, inner) => Problems = [new JobProblem("", 0, 0, message)];

    public InvalidJobException(IReadOnlyList<JobProblem> problems)
        : base(string.Join(Environment.NewLine, problems)) => Problems = [.. problems];

    /// <summary>Every problem, in the order found (the space's in file order).</summary>
    [Id(0)]
    public ImmutableArray<JobProblem> Problems { get; private set; } = [];
}

/// <summary>
/// The job's database does not answer, so a change the caller asked for (submit, pause, resume, cancel) could not be
/// stored and was not made (a cancel is made once the database answers again). The job itself waits for the database:
/// outcomes that arrive meanwhile are kept and written when it returns. Worth retrying later (the API answers 503).
/// </summary>
[GenerateSerializer, Alias("ActSearch.JobStoreUnavailableException.v1")]
public sealed class JobStoreUnavailableException : Exception
{
    public JobStoreUnavailableException()
        : base("The job's database does not answer; the change was not stored. Try again once it is back.")
    {
    }

    public JobStoreUnavailableException(string message)
        : base(message)
    {
    }

    public JobStoreUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
