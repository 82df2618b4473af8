using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Storage;

/// <summary>Where a job stands: a closed set, stored as its lower-case name.</summary>
public enum JobStatus { Queued, Running, Paused, Finished, Failed, Cancelled }

public static class JobStatuses
{
    /// <summary>True for finished, failed and cancelled (<c>JobRepository</c>'s SQL says the same).</summary>
    public static bool IsFinal(this JobStatus s) => s is JobStatus.Finished or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>How much a job may spend; null means no limit of that kind.</summary>
public sealed record JobBudget(long? Evaluations = null, TimeSpan? WallTime = null);

/// <summary>
/// One search job. The search space travels as its YAML text (the job can be re-run from the row alone) plus
/// the space's name. <see cref="Seed"/> is stored with its 64 bits intact.
/// </summary>
public sealed record JobRecord(
    Guid Id,
    string Name,
    string SpaceName,
    string SpaceYaml,
    ulong Seed,
    JobStatus Status,
    JobBudget Budget,
    string Owner,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? Error = null)
{
    /// <summary>
    /// The job's objectives as its search resolved them (key and direction, in the search's order); empty for a stub,
    /// a job whose space did not load, and a job written before schema version 5 whose objectives were not filled in yet.
    /// </summary>
    public ImmutableArray<StoredObjective> Objectives { get; init; } = [];

    // Records compare arrays by reference; a round trip must compare equal, so compare objectives by content.
    public bool Equals(JobRecord? other) =>
        other is not null && Id == other.Id && Name == other.Name && SpaceName == other.SpaceName && SpaceYaml == other.SpaceYaml &&
        Seed == other.Seed && Status == other.Status && Budget == other.Budget && Owner == other.Owner && CreatedAt == other.CreatedAt &&
        StartedAt == other.StartedAt && FinishedAt == other.FinishedAt && Error == other.Error && Details == other.Details &&
        Objectives.AsSpan().SequenceEqual(other.Objectives.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Id, Name, Status);

    /// <summary>
    /// The host's own fields of the job that the columns do not hold, as JSON kept verbatim (the job grains keep the
    /// spec's overrides and the running time here); null when the host has none. A stub (see
    /// <see cref="JobRepository"/>) has none.
    /// </summary>
    public string? Details { get; init; }
}

/// <summary>An objective of a job as stored: its key (<c>accuracy@fmnist-cnn</c>) and whether larger is better.</summary>
public sealed record StoredObjective(string Key, bool Maximize);

/// <summary>
/// One proposed genome. <see cref="GenomeJson"/> is <see cref="GraphJson"/> text, so the exact graph comes back;
/// <see cref="Formula"/> is the canonical text for people and text search.
/// </summary>
public sealed record CandidateRecord(
    Guid JobId,
    long Id,
    int Generation,
    string Formula,
    string GenomeJson,
    Fingerprint Fingerprint,
    ImmutableArray<long> ParentIds,
    string Operator)
{
    /// <summary>A record of a genome, with its printed formula, graph JSON and fingerprint worked out here.</summary>
    public static CandidateRecord Of(Guid jobId, long id, int generation, Expr genome, IEnumerable<long> parentIds, string op) =>
        new(jobId, id, generation, TextPrinter.PrintCanonical(genome), GraphJson.Serialize(genome), Fingerprint.Of(genome), [.. parentIds], op);

    /// <summary>The genome, read back from its graph JSON.</summary>
    public Expr Genome() => GraphJson.Deserialize(GenomeJson);

    // Records compare arrays by reference; a round trip must compare equal, so compare parents by content.
    public bool Equals(CandidateRecord? other) =>
        other is not null && JobId == other.JobId && Id == other.Id && Generation == other.Generation &&
        Formula == other.Formula && GenomeJson == other.GenomeJson && Fingerprint == other.Fingerprint &&
        ParentIds.SequenceEqual(other.ParentIds) && Operator == other.Operator;

    public override int GetHashCode() => HashCode.Combine(JobId, Id, Fingerprint);
}

/// <summary>
/// How a candidate ended: exactly one of <see cref="Evaluated"/>, <see cref="Rejected"/>, <see cref="Failed"/>
/// or <see cref="Cancelled"/> (a closed set: the constructor is private), with the time it cost.
/// </summary>
public abstract record OutcomeRecord
{
    private OutcomeRecord(Guid jobId, long candidateId, TimeSpan spent)
    {
        JobId = jobId;
        CandidateId = candidateId;
        Spent = spent;
    }

    public Guid JobId { get; init; }

    public long CandidateId { get; init; }

    public TimeSpan Spent { get; init; }

    /// <summary>The fidelity rung it was scored at (0: the lowest; a promotion records another outcome one rung up).</summary>
    public int Rung { get; init; }

    /// <summary>
    /// True when no worker produced the outcome: it was copied from an earlier candidate with the same fingerprint
    /// (the engine's functional-equivalence cache, or an identical candidate of its generation). Never true for
    /// <see cref="Cancelled"/>.
    /// </summary>
    public bool Cached { get; init; }

    public sealed record Evaluated(Guid JobId, long CandidateId, TimeSpan Spent) : OutcomeRecord(JobId, CandidateId, Spent)
    {
        /// <summary>
        /// The values the search was told, one per objective in the job's objective order (NaN and infinities
        /// included); default when not recorded. <see cref="ScoreRecord"/>s hold them by name.
        /// </summary>
        public ImmutableArray<double> Objectives { get; init; }

        /// <summary>The genome the scorer tuned (fitted constants), as <see cref="GraphJson"/> text; null when it did not.</summary>
        public string? RefinedGenomeJson { get; init; }

        // Records compare arrays by reference; a round trip must compare equal, so compare values by content.
        public bool Equals(Evaluated? other) =>
            other is not null && base.Equals(other) && RefinedGenomeJson == other.RefinedGenomeJson &&
            Objectives.IsDefault == other.Objectives.IsDefault && (Objectives.IsDefault || Objectives.SequenceEqual(other.Objectives));

        public override int GetHashCode() => HashCode.Combine(JobId, CandidateId);
    }

    /// <summary>Thrown out by a rejection stage ("static", "numeric", "duplicate", "stability", "quality"), with why.</summary>
    public sealed record Rejected(Guid JobId, long CandidateId, string Stage, string Reason, TimeSpan Spent)
        : OutcomeRecord(JobId, CandidateId, Spent);

    public sealed record Failed(Guid JobId, long CandidateId, string Error, TimeSpan Spent) : OutcomeRecord(JobId, CandidateId, Spent);

    public sealed record Cancelled(Guid JobId, long CandidateId, TimeSpan Spent) : OutcomeRecord(JobId, CandidateId, Spent);

    /// <summary>The stored name of the kind: evaluated, rejected, failed, cancelled.</summary>
    public string Kind => this switch
    {
        Evaluated => "evaluated",
        Rejected => "rejected",
        Failed => "failed",
        _ => "cancelled",
    };
}

/// <summary>A candidate with one of its outcomes (one per rung it was scored at) and when that was stored.</summary>
public sealed record RecordedResult(CandidateRecord Candidate, OutcomeRecord Outcome, DateTimeOffset RecordedAt);

/// <summary>
/// One measured number: an objective (accuracy, loss, flops, ...) on a proxy task (null when the objective is not
/// task-specific), with the seed, device and wall time of the measurement, and the fidelity rung it was measured at.
/// </summary>
public sealed record ScoreRecord(
    Guid JobId,
    long CandidateId,
    string Objective,
    string? Task,
    double Value,
    long Seed,
    string Device,
    double WallTimeMs,
    int Rung = 0);

/// <summary>One member of a front: the candidate and its objective values, in the snapshot's objective order.</summary>
public sealed record FrontMember(long CandidateId, ImmutableArray<double> Values)
{
    public bool Equals(FrontMember? other) =>
        other is not null && CandidateId == other.CandidateId && Values.SequenceEqual(other.Values);

    public override int GetHashCode() => CandidateId.GetHashCode();
}

/// <summary>The non-dominated candidates of a job after a generation.</summary>
public sealed record FrontSnapshot(Guid JobId, int Generation, ImmutableArray<string> Objectives, ImmutableArray<FrontMember> Members)
{
    /// <summary>For each objective, whether larger is better; empty when not recorded (fronts written before schema version 5).</summary>
    public ImmutableArray<bool> Maximize { get; init; } = [];

    public bool Equals(FrontSnapshot? other) =>
        other is not null && JobId == other.JobId && Generation == other.Generation &&
        Objectives.SequenceEqual(other.Objectives) && Members.SequenceEqual(other.Members) && Maximize.SequenceEqual(other.Maximize);

    public override int GetHashCode() => HashCode.Combine(JobId, Generation);
}

/// <summary>
/// A job's resumable state after a generation: the engine's state as JSON (opaque here) and the random
/// generator's words, kept apart so tools can read them without parsing the state.
/// </summary>
public sealed record Checkpoint(Guid JobId, int Generation, string EngineStateJson, ImmutableArray<ulong> RngState)
{
    public bool Equals(Checkpoint? other) =>
        other is not null && JobId == other.JobId && Generation == other.Generation &&
        EngineStateJson == other.EngineStateJson && RngState.SequenceEqual(other.RngState);

    public override int GetHashCode() => HashCode.Combine(JobId, Generation);
}

/// <summary>Whether larger or smaller values of an objective are better; decides which value the catalog keeps.</summary>
public enum ScoreGoal { Maximize, Minimize }

/// <summary>A score seen for a function, as the catalog is told it.</summary>
public sealed record ObservedScore(string Objective, string? Task, double Value, ScoreGoal Goal);

/// <summary>An evaluated candidate reported to the catalog.</summary>
public sealed record CatalogObservation(Fingerprint Fingerprint, string Formula, Guid JobId, long CandidateId, IReadOnlyList<ObservedScore> Scores);

/// <summary>The best value of one objective on one task seen for a function, and the candidate that scored it.</summary>
public sealed record CatalogScore(string Objective, string? Task, double Best, ScoreGoal Goal, Guid JobId, long CandidateId);

/// <summary>A function's best value of one objective on one task in the catalog, with when it was first and last seen.</summary>
public sealed record CatalogMeasurement(Fingerprint Fingerprint, string Formula, double Value, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>One discovered function, across all jobs.</summary>
public sealed record CatalogEntry(
    Fingerprint Fingerprint,
    string Formula,
    Guid FirstJob,
    Guid LatestJob,
    int TimesSeen,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    ImmutableArray<CatalogScore> BestScores)
{
    public CatalogScore? Score(string objective, string? task = null) =>
        BestScores.FirstOrDefault(s => s.Objective == objective && s.Task == task);
}

/// <summary>One page of catalog results and the number of matches in all.</summary>
public sealed record CatalogPage(IReadOnlyList<CatalogEntry> Items, long Total, int Page, int PageSize);
