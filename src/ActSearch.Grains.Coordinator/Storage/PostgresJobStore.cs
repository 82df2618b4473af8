using System.Collections.Concurrent;
using System.Collections.Immutable;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;
using ActSearch.Storage;
using Stored = ActSearch.Storage;

namespace ActSearch.Grains;

/// <summary>
/// <see cref="IJobStore"/> in PostgreSQL through <see cref="ActSearchStorage"/>: jobs survive crashes of any silo,
/// and the activation catalog fills as jobs run. Every call is one transaction (retried inside storage on
/// transient failures) and the store holds no connection between calls, so any number of grains may call it at
/// once. Open the storage once per process and share it: <c>new PostgresJobStore(storage)</c>.
/// <para>How the grain's records land in the schema:</para>
/// <list type="bullet">
/// <item>A job is a <c>jobs</c> row: name, owner, space YAML, status, timestamps and error in their columns, the
/// space's name, seed, budget and objectives as the job runs them (the <see cref="ResolvedJob"/> the grain passes: this
/// store never parses a space, except once for rows older than schema version 5 in <see cref="PrepareAsync"/>), and what the
/// columns cannot say exactly (the spec's overrides as submitted, the space's file name, the running time,
/// timestamps to the tick) in its <c>details</c> JSON (<see cref="JobDetails"/>). Rows without details (jobs other
/// tools created, stubs) are not this store's: <see cref="LoadJobAsync"/> does not see them and
/// <see cref="ListUnfinishedAsync"/> does not list them.</item>
/// <item>An outcome is a <c>candidates</c> row (genome as GraphJson, exactly), an <c>outcomes</c> row (the objective
/// values and the refined genome exactly), one <c>scores</c> row per objective named by the job's space (task
/// <c>""</c> for objectives that are not per task; seed: the job's; device and wall time unknown here: <c>""</c>
/// and 0), and, for an evaluated candidate, one catalog sighting of the function it became (the refined genome
/// when the scorer tuned it) with its objective values as scores, each ranked by its objective's direction.</item>
/// <item>A checkpoint is a <c>checkpoints</c> row (no generator words: the engine's state JSON carries them); the
/// front after each generation is a <c>fronts</c> row.</item>
/// <item>Outcomes and checkpoints of a job not saved yet get a stub job row, filled in when the job is saved.</item>
/// </list>
/// </summary>
public sealed class PostgresJobStore : IJobStore
{
    private readonly ActSearchStorage _storage;

    // What recording an outcome needs from the job's space (objective names and directions, the seed), parsed once per job.
    private readonly ConcurrentDictionary<Guid, JobInfo> _jobs = new();

    public PostgresJobStore(ActSearchStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
    }

    public async Task SaveJobAsync(JobRecord job, ResolvedJob? resolved = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var spec = job.Spec;
        var r = resolved ?? (_jobs.TryGetValue(job.JobId, out var known) && known.Spec == spec ? known.Resolved : ResolvedJob.Unresolved(spec));
        _jobs[job.JobId] = new JobInfo(spec, r);
        int? evaluations = r.BudgetEvaluations;
        TimeSpan? wallTime = r.BudgetWallTime;
        var row = new Stored.JobRecord(
            job.JobId, spec.Name, r.SpaceName, spec.SpaceYaml, r.Seed, ToStatus(job.State),
            new JobBudget(evaluations is > 0 ? evaluations : null, wallTime is { } w && w > TimeSpan.Zero ? w : null),
            spec.Owner, job.CreatedAt, job.StartedAt, job.FinishedAt, job.Error)
        {
            Details = JobDetails.Write(job),
            Objectives = ToStored(r.Objectives),
        };
        bool saved = await _storage.Jobs.SaveAsync(row, cancellation).ConfigureAwait(false);
        if (!saved || job.State.IsFinal()) _jobs.TryRemove(job.JobId, out _); // a finished job records little more
    }

    public async Task<JobRecord?> LoadJobAsync(Guid jobId, CancellationToken cancellation = default) =>
        ToJob(await _storage.Jobs.GetAsync(jobId, cancellation).ConfigureAwait(false));

    public async Task<IReadOnlyList<Guid>> ListUnfinishedJobsAsync(CancellationToken cancellation = default) =>
        [.. (await _storage.Jobs.ListUnfinishedAsync(cancellation).ConfigureAwait(false)).Where(j => j.Details is not null).Select(j => j.Id)];

    public Task SaveCheckpointAsync(Guid jobId, int generation, string engineStateJson, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(engineStateJson);
        return _storage.Checkpoints.SaveAsync(new Checkpoint(jobId, generation, engineStateJson, []), createMissingJob: true, cancellation);
    }

    public Task SaveFrontAsync(Guid jobId, int generation, ImmutableArray<Objective> objectives, ImmutableArray<FrontEntry> front, CancellationToken cancellation = default) =>
        _storage.Fronts.SaveAsync(
            new FrontSnapshot(jobId, generation, [.. objectives.Select(o => o.Key)], [.. front.Select(f => new FrontMember(f.CandidateId, f.Objectives))])
            {
                Maximize = [.. objectives.Select(o => o.Direction == ObjectiveDirection.Maximize)],
            },
            cancellation);

    /// <summary>
    /// Jobs written before schema version 5 get their objectives (and their fronts the directions), resolved from their
    /// space this once; a space that no longer loads is left as it is.
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellation = default)
    {
        foreach (var row in await _storage.Jobs.ListWithoutObjectivesAsync(cancellation).ConfigureAwait(false))
            if (SearchSpaceLoader.TryLoadFromText(row.SpaceYaml, "space.yaml", out var space, out _))
                await _storage.Jobs.FillObjectivesAsync(row.Id, ToStored(space.Evolution.Objectives), cancellation).ConfigureAwait(false);
    }

    /// <summary>Objectives as the jobs table keeps them.</summary>
    public static ImmutableArray<StoredObjective> ToStored(ImmutableArray<Objective> objectives) =>
        objectives.IsDefault ? [] : [.. objectives.Select(o => new StoredObjective(o.Key, o.Direction == ObjectiveDirection.Maximize))];

    public async Task<JobCheckpoint?> LoadLatestCheckpointAsync(Guid jobId, CancellationToken cancellation = default) =>
        await _storage.Checkpoints.LatestSavedAsync(jobId, cancellation).ConfigureAwait(false) is var (k, savedAt)
            ? new JobCheckpoint(jobId, k.Generation, k.EngineStateJson, savedAt)
            : null;

    public Task RecordCancelledAsync(Guid jobId, IReadOnlyList<Candidate> candidates, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return _storage.Candidates.AddCancelledAsync([.. candidates.Select(c => Record(jobId, c))], createMissingJob: true, cancellation, [.. candidates.Select(c => c.Rung)]);
    }

    private static CandidateRecord Record(Guid jobId, Candidate candidate) =>
        new(jobId, candidate.Id, candidate.Generation, TextPrinter.PrintCanonical(candidate.Genome),
            GraphJson.Serialize(candidate.Genome), candidate.Fingerprint, candidate.ParentIds.IsDefault ? [] : candidate.ParentIds, candidate.Operator);

    public async Task<bool> RecordOutcomeAsync(Guid jobId, Candidate candidate, CandidateOutcome outcome, TimeSpan spent = default, bool cached = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(outcome);
        var record = Record(jobId, candidate);
        if (spent < TimeSpan.Zero) spent = TimeSpan.Zero;
        OutcomeRecord stored = outcome switch
        {
            CandidateOutcome.Evaluated e => new OutcomeRecord.Evaluated(jobId, candidate.Id, spent)
            {
                Objectives = e.Objectives,
                RefinedGenomeJson = e.Refined is null ? null : GraphJson.Serialize(e.Refined),
            },
            CandidateOutcome.Rejected r => new OutcomeRecord.Rejected(jobId, candidate.Id, r.Stage ?? "", r.Reason ?? "", spent),
            CandidateOutcome.Failed f => new OutcomeRecord.Failed(jobId, candidate.Id, f.Error ?? "", spent),
            _ => new OutcomeRecord.Cancelled(jobId, candidate.Id, spent),
        };
        stored = stored with { Cached = cached && stored is not OutcomeRecord.Cancelled, Rung = candidate.Rung };
        List<ScoreRecord> scores = [];
        CatalogObservation? sighting = null;
        if (outcome is CandidateOutcome.Evaluated evaluated)
        {
            var info = await InfoAsync(jobId, cancellation).ConfigureAwait(false);
            var objectives = info is not null && !evaluated.Objectives.IsDefault && info.Resolved.Objectives.Length == evaluated.Objectives.Length
                ? info.Resolved.Objectives
                : [];
            List<ObservedScore> observed = [];
            for (int i = 0; i < objectives.Length; i++)
            {
                var o = objectives[i];
                double v = evaluated.Objectives[i];
                scores.Add(new ScoreRecord(jobId, candidate.Id, o.Name, o.Task, v, unchecked((long)info!.Resolved.Seed), "", 0, candidate.Rung));
                if (info.Resolved.TrainsAsTask(candidate.Rung, o.Task))
                    observed.Add(new ObservedScore(o.Name, o.Task, v, o.Direction == ObjectiveDirection.Maximize ? ScoreGoal.Maximize : ScoreGoal.Minimize));
            }
            // The catalog keeps the function the candidate became: the tuned genome when the scorer refined it. A candidate
            // is sighted once, at the lowest rung; the catalog compares functions across jobs, so it keeps only scores
            // measured as their task measures them (a rung with other steps does not).
            var (fingerprint, genome) = evaluated.Refined is { } refined ? (Fingerprint.Of(refined), refined) : (candidate.Fingerprint, candidate.Genome);
            if (candidate.Rung == 0) sighting = new CatalogObservation(fingerprint, TextPrinter.PrintCanonical(genome), jobId, candidate.Id, observed);
        }
        return await _storage.Candidates.RecordResultAsync(record, stored, scores, sighting, createMissingJob: true, cancellation).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesAsync(Guid jobId, long fromCandidateId = 0, CancellationToken cancellation = default) =>
        [.. (await _storage.Candidates.ResultsAsync(jobId, fromCandidateId, cancellation).ConfigureAwait(false)).Select(ToOutcome)];

    public async Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesInRecordedOrderAsync(Guid jobId, CancellationToken cancellation = default) =>
        [.. (await _storage.Candidates.ResultsInRecordedOrderAsync(jobId, cancellation).ConfigureAwait(false)).Select(ToOutcome)];

    public async Task<IReadOnlyList<MeasuredFunction>> LoadMeasuredAsync(Objective objective, int count, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        return [.. (await _storage.Catalog.MeasuredAsync(objective.Name, objective.Task, count, cancellation).ConfigureAwait(false))
            .Select(m => new MeasuredFunction(m.Formula, m.Value))];
    }

    public Task RecordPredictionsAsync(Guid jobId, IReadOnlyList<CandidatePrediction> predictions, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return _storage.Predictions.RecordAsync(jobId,
            [.. predictions.Select(p => new PredictionRecord(p.CandidateId, p.Objective.Name, p.Objective.Task, p.Mean, p.StdDev, p.Trained))], cancellation);
    }

    public Task SaveFeaturesAsync(FeatureKey key, IReadOnlyList<FunctionFeatures> features, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(features);
        return _storage.Features.SaveAsync([.. features.Select(f => new FeatureRecord(f.Fingerprint, key.Kind, key.Task, key.Version, f.Values, f.Seconds))], cancellation);
    }

    public async Task<IReadOnlyList<FunctionFeatures>> LoadFeaturesAsync(FeatureKey key, int count, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return [.. (await _storage.Features.LatestAsync(key.Kind, key.Task, key.Version, count, cancellation).ConfigureAwait(false))
            .Select(f => new FunctionFeatures(f.Fingerprint, f.Values, f.Seconds))];
    }

    // ---- mapping ----

    private static RecordedOutcome ToOutcome(RecordedResult r)
    {
        var c = r.Candidate;
        var candidate = new Candidate(c.Id, c.Genome(), c.Generation, c.ParentIds, c.Operator, c.Fingerprint, r.Outcome.Rung);
        CandidateOutcome outcome = r.Outcome switch
        {
            OutcomeRecord.Evaluated e => new CandidateOutcome.Evaluated(
                e.Objectives.IsDefault ? [] : e.Objectives,
                e.RefinedGenomeJson is null ? null : GraphJson.Deserialize(e.RefinedGenomeJson)),
            OutcomeRecord.Rejected j => new CandidateOutcome.Rejected(j.Stage, j.Reason),
            OutcomeRecord.Failed f => new CandidateOutcome.Failed(f.Error),
            _ => CandidateOutcome.Cancelled.Instance,
        };
        return new RecordedOutcome(candidate, outcome, r.RecordedAt, r.Outcome.Cached);
    }

    private static JobRecord? ToJob(Stored.JobRecord? row)
    {
        if (row?.Details is not { } json) return null; // no job, a stub, or a job this store did not write
        var d = JobDetails.Read(json);
        var spec = new JobSpec(row.SpaceYaml, d.SpaceFileName, row.Name, row.Owner, d.Seed, d.BudgetEvaluations, d.BudgetWallTime);
        return new JobRecord(row.Id, spec, ToState(row.Status), Exact(row.CreatedAt, d.CreatedAt)!.Value,
            Exact(row.StartedAt, d.StartedAt), Exact(row.FinishedAt, d.FinishedAt), row.Error, d.RunningTime, d.CancelRequestedAt);
    }

    /// <summary>The column's time, or the tick-exact one in the details when that is the same time to PostgreSQL's microsecond.</summary>
    private static DateTimeOffset? Exact(DateTimeOffset? column, DateTimeOffset? exact) =>
        column is { } c && exact is { } e && Math.Abs(c.UtcTicks - e.UtcTicks) < TimeSpan.TicksPerMicrosecond ? e : column;

    private static Stored.JobStatus ToStatus(JobState s) => s switch
    {
        JobState.Queued => Stored.JobStatus.Queued,
        JobState.Running => Stored.JobStatus.Running,
        JobState.Paused => Stored.JobStatus.Paused,
        JobState.Finished => Stored.JobStatus.Finished,
        JobState.Failed => Stored.JobStatus.Failed,
        JobState.Cancelled => Stored.JobStatus.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "Unknown job state."),
    };

    private static JobState ToState(Stored.JobStatus s) => s switch
    {
        Stored.JobStatus.Queued => JobState.Queued,
        Stored.JobStatus.Running => JobState.Running,
        Stored.JobStatus.Paused => JobState.Paused,
        Stored.JobStatus.Finished => JobState.Finished,
        Stored.JobStatus.Failed => JobState.Failed,
        _ => JobState.Cancelled,
    };

    // ---- the job's space ----

    /// <summary>What recording an outcome needs of a job: what it runs with, as the grain resolved it.</summary>
    private sealed record JobInfo(JobSpec Spec, ResolvedJob Resolved);

    /// <summary>The job's info as saved in this process, else read back from its row (objectives and seed are columns).</summary>
    private async Task<JobInfo?> InfoAsync(Guid jobId, CancellationToken cancellation)
    {
        if (_jobs.TryGetValue(jobId, out var known)) return known;
        var row = await _storage.Jobs.GetAsync(jobId, cancellation).ConfigureAwait(false);
        if (ToJob(row) is not { } job) return null;
        var objectives = row!.Objectives.Select(o => Objective.FromKey(o.Key, o.Maximize ? ObjectiveDirection.Maximize : ObjectiveDirection.Minimize));
        // Fidelity rungs are not a column: they come from the space (only for what the catalog may keep).
        var fidelity = SearchSpaceLoader.TryLoadFromText(row.SpaceYaml, job.Spec.SpaceFileName, out var space, out _) && space.Evolution.Fidelity.Enabled
            ? space.Evolution.Fidelity
            : null;
        var info = new JobInfo(job.Spec, new ResolvedJob(row.SpaceName, row.Seed, (int?)row.Budget.Evaluations, row.Budget.WallTime, [.. objectives], fidelity));
        return _jobs[jobId] = info;
    }
}
