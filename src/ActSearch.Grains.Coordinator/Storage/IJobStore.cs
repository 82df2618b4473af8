using System.Collections.Immutable;
using ActSearch.Evolution;

namespace ActSearch.Grains;

/// <summary>
/// A job as the store keeps it: what was submitted and where it stands. Saved on every change of state and with
/// every checkpoint. Counters are not kept here: they come from the engine's checkpoint and the recorded outcomes.
/// <see cref="CancelRequestedAt"/> is when a cancel was asked for, stored before the job's end (which can take many
/// turns to write): a job activated with it set and no final state ends cancelled instead of resuming its search.
/// </summary>
public sealed record JobRecord(
    Guid JobId,
    JobSpec Spec,
    JobState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? Error = null,
    TimeSpan RunningTime = default,
    DateTimeOffset? CancelRequestedAt = null);

/// <summary>
/// What a job runs with, resolved once from its spec and space by the job grain (which parses the space anyway): the
/// space's name, the seed and budget in force (the spec's overrides, else the space's) and the objectives with their
/// directions, and its fidelity rungs (null: none). Stores write it into their columns, so they never parse a space themselves.
/// </summary>
public sealed record ResolvedJob(
    string SpaceName, ulong Seed, int? BudgetEvaluations, TimeSpan? BudgetWallTime, ImmutableArray<Objective> Objectives, FidelityOptions? Fidelity = null)
{
    /// <summary>From a space whose seed and budget already carry the spec's overrides (the job grain's).</summary>
    public static ResolvedJob Of(ActSearch.SearchSpaces.SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var e = space.Evolution;
        return new(space.Name, space.Seed, e.Budget.Evaluations, e.Budget.WallTime, e.Objectives, e.Fidelity.Enabled ? e.Fidelity : null);
    }

    /// <summary>
    /// Whether a score of <paramref name="task"/> measured at <paramref name="rung"/> is what the task itself measures (its own
    /// steps on its own data; seeds only average), so the activation catalog, which compares functions across jobs, may keep
    /// it. Scores that are not per task (complexity, FLOPs) always are.
    /// </summary>
    public bool TrainsAsTask(int rung, string? task) =>
        task is null || Fidelity?.Rung(rung) is not { } r
        || (!r.FullData && (r.Steps is not { } steps || (ActSearch.Evaluation.Tasks.TaskCatalog.TryGet(task, out var spec) && spec.Steps == steps)));

    /// <summary>What the spec alone says (its space did not load): the file name, its overrides, no objectives.</summary>
    public static ResolvedJob Unresolved(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new(spec.SpaceFileName, spec.Seed ?? 0, spec.BudgetEvaluations, spec.BudgetWallTime, []);
    }
}

/// <summary>A function (its formula) and its best measured value of one objective, from the activation catalog.</summary>
public sealed record MeasuredFunction(string Formula, double Value);

/// <summary>An engine checkpoint: <see cref="EngineState.ToJson"/> taken when generation <paramref name="Generation"/> began.</summary>
public sealed record JobCheckpoint(Guid JobId, int Generation, string EngineStateJson, DateTimeOffset SavedAt);

/// <summary>A candidate's one recorded outcome.</summary>
/// <summary>
/// A candidate's stored outcome. <see cref="Cached"/>: no worker produced it; it was copied from an earlier candidate with
/// the same fingerprint.
/// </summary>
public sealed record RecordedOutcome(Candidate Candidate, CandidateOutcome Outcome, DateTimeOffset RecordedAt, bool Cached = false);

/// <summary>
/// Where search jobs keep what must outlive their grain: the job record, generation checkpoints and every
/// candidate's outcome. The contract every backend keeps (the in-memory one here, PostgreSQL in ActSearch.Storage;
/// one test suite checks both):
/// <list type="bullet">
/// <item>Thread-safe: any silo may call at any time.</item>
/// <item><see cref="RecordOutcomeAsync"/> is idempotent per (job, candidate id, rung): the first outcome stays and later
/// calls return false, so a retried or duplicated report can never give a candidate a second outcome at a rung.</item>
/// <item><see cref="LoadLatestCheckpointAsync"/> returns the checkpoint of the highest generation.</item>
/// <item>A job in a final state (Finished, Failed, Cancelled) is never changed back by <see cref="SaveJobAsync"/>.</item>
/// </list>
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Creates or replaces the job's record (a final state is kept: see the contract). <paramref name="resolved"/> is what
    /// the job runs with (the job grain passes it with every save); null keeps what an earlier save of this job said,
    /// else what the spec alone says.
    /// </summary>
    Task SaveJobAsync(JobRecord job, ResolvedJob? resolved = null, CancellationToken cancellation = default);

    Task<JobRecord?> LoadJobAsync(Guid jobId, CancellationToken cancellation = default);

    /// <summary>Jobs that are Queued, Running or Paused: a coordinator that starts wakes them so they resume.</summary>
    Task<IReadOnlyList<Guid>> ListUnfinishedJobsAsync(CancellationToken cancellation = default);

    Task SaveCheckpointAsync(Guid jobId, int generation, string engineStateJson, CancellationToken cancellation = default);

    /// <summary>
    /// Brings what the store holds up to what this version records, before a coordinator wakes its jobs (PostgreSQL:
    /// jobs written before schema version 5 get their objectives and directions, resolved from their space once).
    /// </summary>
    Task PrepareAsync(CancellationToken cancellation = default);

    Task<JobCheckpoint?> LoadLatestCheckpointAsync(Guid jobId, CancellationToken cancellation = default);

    /// <summary>
    /// The job's front after <paramref name="generation"/> (objective values in <paramref name="objectives"/>' order, each
    /// objective stored with its direction); saving a generation again replaces it.
    /// </summary>
    Task SaveFrontAsync(Guid jobId, int generation, ImmutableArray<Objective> objectives, ImmutableArray<FrontEntry> front, CancellationToken cancellation = default);

    /// <summary>
    /// Records a candidate's outcome at its rung (<see cref="Candidate.Rung"/>) and what it cost (<paramref name="spent"/>: the
    /// worker's time on it; zero for an outcome settled without a worker); false (and nothing changed) when the candidate
    /// already has one at that rung.
    /// <paramref name="cached"/> marks an outcome copied from an earlier candidate with the same fingerprint.
    /// </summary>
    Task<bool> RecordOutcomeAsync(Guid jobId, Candidate candidate, CandidateOutcome outcome, TimeSpan spent = default, bool cached = false, CancellationToken cancellation = default);

    /// <summary>
    /// Records many candidates as Cancelled at once (what a stopped job never handed out: up to a whole generation), in
    /// one write; a candidate that has an outcome already keeps it (as <see cref="RecordOutcomeAsync"/>).
    /// </summary>
    Task RecordCancelledAsync(Guid jobId, IReadOnlyList<Candidate> candidates, CancellationToken cancellation = default);

    /// <summary>The recorded outcomes of candidates with id at least <paramref name="fromCandidateId"/>, in id order (then rung order).</summary>
    Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesAsync(Guid jobId, long fromCandidateId = 0, CancellationToken cancellation = default);

    /// <summary>
    /// Every recorded outcome of the job in the order the records were made (a steady-state job tells its engine in that
    /// order, and resumes by replaying it). Calls to <see cref="RecordOutcomeAsync"/> and <see cref="RecordCancelledAsync"/>
    /// that one caller makes one after another keep their order; a batch keeps its own.
    /// </summary>
    Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesInRecordedOrderAsync(Guid jobId, CancellationToken cancellation = default);

    /// <summary>
    /// Functions any job measured for <paramref name="objective"/> (its name and task) as the task itself trains (the activation
    /// catalog's values: each function's best), most recently seen first, up to <paramref name="count"/>: a surrogate's warm start.
    /// </summary>
    Task<IReadOnlyList<MeasuredFunction>> LoadMeasuredAsync(Objective objective, int count, CancellationToken cancellation = default);

    /// <summary>Records the surrogate's predictions for a job's candidates; a candidate that has one keeps it.</summary>
    Task RecordPredictionsAsync(Guid jobId, IReadOnlyList<CandidatePrediction> predictions, CancellationToken cancellation = default);

    /// <summary>
    /// Keeps feature vectors per function across jobs (<see cref="IKeptFeatures"/>: a surrogate's Fisher spectra); a function
    /// that has a vector under <paramref name="key"/> keeps it.
    /// </summary>
    Task SaveFeaturesAsync(FeatureKey key, IReadOnlyList<FunctionFeatures> features, CancellationToken cancellation = default);

    /// <summary>The latest <paramref name="count"/> vectors kept under <paramref name="key"/>, newest first.</summary>
    Task<IReadOnlyList<FunctionFeatures>> LoadFeaturesAsync(FeatureKey key, int count, CancellationToken cancellation = default);
}
