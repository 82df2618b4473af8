using System.Collections.Immutable;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;
using ActSearch.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Utilities;

namespace ActSearch.Grains;

/// <summary>
/// A search job. Everything the job decides happens here, one message at a time (the grain is not reentrant):
/// it asks the engine for candidates, sends each to an evaluation worker (placed on a worker silo), records and
/// tells the outcomes that come back, checkpoints at every generation boundary and ends on its budget or on
/// cancel. A timer re-dispatches candidates whose deadline passed or whose worker silo died. On activation the
/// job continues from its latest checkpoint; outcomes recorded after that checkpoint are reused, not re-scored.
/// <para>
/// The store comes first: an outcome is told to the engine only once its write has committed, the job's state changes
/// only once the new state is stored, and a checkpoint is taken only when every outcome before it is stored. While the
/// database does not answer (a transient <see cref="StorageException"/>), outcomes that arrive wait in memory, in order,
/// and count as in flight; no candidate is handed out; every tick tries again. Past
/// <see cref="SearchJobOptions.StorageOutageWindow"/> the job lets go: its workers' candidates are cancelled and the
/// grain deactivates, leaving the stored job as it was for <see cref="JobSupervisor"/> to wake once the database is back.
/// </para>
/// </summary>
[GrainType("actsearch.job"), SiloRole(SiloRoles.Coordinator)]
internal sealed partial class SearchJobGrain(
    IJobStore store,
    WorkerSilos workers,
    WorkerLoadBoard board,
    IOptions<SearchJobOptions> options,
    TimeProvider time,
    IServiceProvider services,
    ILogger<SearchJobGrain> log) : Grain, ISearchJobGrain
{
    private readonly SearchJobOptions _options = options.Value;
    private readonly DispatchTable _inFlight = new(options.Value, time);
    private readonly Dictionary<long, RecordedOutcome> _recovered = [];
    private readonly Dictionary<string, long> _rejectedByStage = new(StringComparer.Ordinal);
    private readonly LinkedList<Unwritten> _unwritten = new(); // outcomes not stored yet, in the order the engine hears them
    private readonly List<CandidatePrediction> _predictions = []; // the surrogate's predictions not stored yet
    private readonly List<FunctionFeatures> _featuresUnwritten = []; // feature vectors the surrogate computed, not stored yet
    private IKeptFeatures? _keptFeatures; // the surrogate's features when they are kept per function across jobs
    private ObserverManager<IJobObserver>? _observers;
    private JobRecord? _job;
    private SearchSpace? _space;
    private ResolvedJob? _resolved; // what the store writes into its columns: resolved here, where the space is parsed
    private EvolutionEngine? _engine;
    private IGrainTimer? _timer;
    private IGrainTimer? _continuation; // a pump that ran out of turn time goes on here
    private TimeSpan _ranBefore; // running time up to _runningSince
    private long _runningSince; // 0 while not running
    private bool _generationEnded;
    private long _checkpointedAt; // timestamp of the latest checkpoint this activation wrote; 0: none yet
    private TimeSpan _checkpointCost; // what writing it took
    private readonly Dictionary<int, (int Run, string? Reason)> _failures = []; // per rung: candidates in a row that failed with Reason
    private (JobState State, string? Error)? _ending; // the final state decided, not stored yet
    private long _storeDownSince; // timestamp of the first failed write of an outage; 0 while the store answers

    /// <summary>An outcome waiting for its write. <c>Settled</c>: the engine settled it itself and knows it already.</summary>
    private sealed record Unwritten(Candidate Candidate, CandidateOutcome Outcome, TimeSpan Spent, bool Settled);

    private Guid JobId => this.GetPrimaryKey();

    private bool IsRunning => _job?.State == JobState.Running;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _observers = new ObserverManager<IJobObserver>(_options.ObserverExpiry, log);
        int replayed = 0;
        try
        {
            var job = await store.LoadJobAsync(JobId, cancellationToken);
            if (job is null) return;
            _job = job;
            var space = JobSpecs.Load(job.Spec);
            var checkpoint = await store.LoadLatestCheckpointAsync(JobId, cancellationToken);
            var state = checkpoint is null ? null : EngineState.FromJson(checkpoint.EngineStateJson);
            Start(space, state);
            await KnowStoredFeaturesAsync();
            if (_engine!.Mode == EvolutionMode.SteadyState) replayed = await ReplayAsync(cancellationToken);
            else
                foreach (var r in await store.LoadOutcomesAsync(JobId, 0, cancellationToken))
                {
                    if (r.Outcome is CandidateOutcome.Rejected rej) CountRejection(rej);
                    // Breeding its generation again gives the same candidates: these are told, not trained again.
                    if (r.Candidate.Id >= (state?.NextCandidateId ?? 0)) _recovered[r.Candidate.Id] = r;
                }
        }
        catch (StorageException e)
        {
            // The caller hears it in a form that crosses silos (the store's exception does not); the next call tries again.
            LogActivationFailed(JobId, e.Message);
            throw new JobStoreUnavailableException("The job's database does not answer, so the job cannot be loaded; try again once it is back.");
        }
        catch (Exception e) when (e is FormatException or SearchSpaceException or ArgumentException or InvalidOperationException)
        {
            if (_job!.State.IsFinal()) return;
            BeginEnd(JobState.Failed, $"Cannot resume: {e.Message}");
            StartTimer(); // ends the job now, or once the database answers
            await PumpAsync();
            return;
        }
        if (_job!.State.IsFinal()) return;
        LogResuming(JobId, _engine!.Generation, _engine.Mode == EvolutionMode.SteadyState ? replayed : _recovered.Count);
        _ranBefore = _job.RunningTime;
        if (IsRunning) _runningSince = time.GetTimestamp();
        // A cancel answered before the coordinator stopped holds: the job ends cancelled instead of searching on.
        if (_job.CancelRequestedAt is not null) BeginEnd(JobState.Cancelled, null);
        StartTimer();
        await PumpAsync();
    }

    /// <summary>
    /// A steady-state job resumes by telling its engine, restored from the checkpoint, every outcome recorded after it in
    /// the order they were recorded (which is the order it heard them: each is recorded first). Candidates bred and never
    /// recorded (in flight at the stop) are bred again under their ids; what the replay settles without a record is recorded.
    /// </summary>
    /// <returns>How many recorded outcomes came after the checkpoint (the rest it already counts).</returns>
    private async Task<int> ReplayAsync(CancellationToken cancellation)
    {
        int after = 0;
        var stored = new HashSet<(long, int)>();
        foreach (var r in await store.LoadOutcomesInRecordedOrderAsync(JobId, cancellation))
        {
            if (r.Outcome is CandidateOutcome.Rejected rej) CountRejection(rej);
            stored.Add((r.Candidate.Id, r.Candidate.Rung));
            if (_engine!.Replay(r.Candidate, r.Outcome, r.Cached)) after++;
        }
        _engine!.EndReplay();
        foreach (var (c, outcome) in _engine.TakeSettled())
            if (!stored.Contains((c.Id, c.Rung))) _unwritten.AddLast(new Unwritten(c, outcome, default, Settled: true));
        return after;
    }

    public async Task<JobStatus> Submit(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_job is not null)
        {
            if (_job.Spec == spec) return Status();
            throw new InvalidOperationException($"Job {JobId} was already submitted with another spec.");
        }
        var space = JobSpecs.Load(spec);
        var now = time.GetUtcNow();
        var job = new JobRecord(JobId, spec, JobState.Running, now, StartedAt: now);
        Start(space, null);
        await StoreOrRefuseAsync(KnowStoredFeaturesAsync);
        await StoreOrRefuseAsync(WarmStartAsync);
        await StoreOrRefuseAsync(() => store.SaveJobAsync(job, _resolved));
        _job = job;
        // What the catalog held at the start is not what it holds later (this job adds to it): a job stopped before its
        // first checkpoint resumes from this one, with the same warm start. The job is stored and runs either way: a failed
        // write costs only that (a stop before its first generation's checkpoint would then resume without the warm start).
        if (_engine!.Surrogate is { Count: > 0 })
        {
            try
            {
                await store.SaveCheckpointAsync(JobId, _engine.Generation, await CheckpointJsonAsync());
            }
            catch (StorageException e)
            {
                LogWarmStartCheckpointLost(JobId, e.Message);
            }
        }
        LogSubmitted(JobId, space.Name, _space!.Seed);
        _runningSince = time.GetTimestamp();
        StartTimer();
        await PumpAsync();
        await NotifyAsync();
        return Status();
    }

    /// <summary>
    /// A new job whose space screens with a surrogate starts it from the activation catalog: the values earlier jobs measured
    /// for the surrogate's objective, trained as the task trains (only when the lowest rung does too: a rung of other steps
    /// measures something else). The checkpoint keeps them, so a resumed job does not ask again.
    /// </summary>
    private async Task WarmStartAsync()
    {
        if (_engine!.Surrogate?.Options is not { WarmStart: true } sur) return;
        var objective = _engine.Options.Objectives[sur.Objective];
        if (!_resolved!.TrainsAsTask(0, objective.Task))
        {
            LogNoWarmStart(JobId, objective.Key);
            return;
        }
        var measured = await store.LoadMeasuredAsync(objective, sur.MaxObservations);
        var points = new List<(Expr, double)>(measured.Count);
        foreach (var m in measured.Reverse()) // oldest first: the latest are the last a full training window drops
        {
            try
            {
                points.Add((ExprParser.Parse(m.Formula), m.Value));
            }
            catch (ExprParseException)
            {
                // A formula an older version wrote that this one no longer reads: it simply does not count.
            }
        }
        _engine.WarmStart(points);
        LogWarmStart(JobId, points.Count, objective.Key);
    }

    public async Task<JobStatus> Pause()
    {
        if (!IsRunning || _ending is not null) return Status(); // an ending job (a cancel being written) is not paused
        await ChangeStateAsync(JobState.Paused);
        return Status();
    }

    public async Task<JobStatus> Resume()
    {
        if (_job?.State != JobState.Paused) return Status();
        await ChangeStateAsync(JobState.Running);
        await PumpAsync();
        return Status();
    }

    public async Task<JobStatus> Cancel()
    {
        if (_job is null || _job.State.IsFinal()) return Status();
        await StoreCancelRequestAsync();
        foreach (var d in _inFlight.TakeAll())
        {
            if (d.Silo is not null) _ = Worker(d).Cancel(); // one-way: best effort; a late report is ignored
            Enqueue(d.Candidate, CandidateOutcome.Cancelled.Instance, default);
        }
        BeginEnd(JobState.Cancelled, null);
        await PumpAsync(); // writes the outcomes and the final state (or starts to: a long queue goes on in later turns)
        if (_ending is not null && _storeDownSince != 0) throw new JobStoreUnavailableException(
            "The job's database does not answer: the job stopped handing out candidates and will be stored as cancelled once the database is back.");
        return Status();
    }

    /// <summary>
    /// Stores that a cancel was asked for before anything else: a job with thousands of outcomes still to write (a
    /// generation of 100,000 cancelled) stores its end only turns later, and a coordinator stopped in between would
    /// otherwise resume the search the user cancelled. A database that does not answer leaves the request in memory,
    /// stored with the job's end once it is back (the caller hears a 503 saying so); one that refuses it refuses the cancel.
    /// </summary>
    private async Task StoreCancelRequestAsync()
    {
        if (_job!.CancelRequestedAt is not null) return;
        var job = _job with { CancelRequestedAt = time.GetUtcNow() };
        try
        {
            await StoreOrRefuseAsync(() => store.SaveJobAsync(job, _resolved));
            _job = job;
        }
        catch (JobStoreUnavailableException) when (_storeDownSince != 0 && _job is not null)
        {
        }
    }

    public Task<JobStatus> GetStatus() => Task.FromResult(Status());

    public Task Subscribe(IJobObserver observer)
    {
        _observers!.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IJobObserver observer)
    {
        _observers!.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task ReportOutcome(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        board.Reported(report.Silo, report.Load);
        if (_job is null || _job.State.IsFinal()) return;
        if (_inFlight.OnReport(report, out var d) != ReportDecision.Accept) return;
        LogOutcome(JobId, report.CandidateId, report.Outcome.Kind, report.Silo, report.Attempt);
        Enqueue(d!.Candidate, report.Outcome, report.Elapsed);
        await PumpAsync(); // writes it, then tells the engine
    }

    // ---- the loop ----

    private void Start(SearchSpace space, EngineState? state)
    {
        var evolution = space.Evolution; // with the spec's budget overrides (JobSpecs.Load)
        _space = space;
        _resolved = ResolvedJob.Of(space);
        _engine = state is null ? new EvolutionEngine(evolution, space.Seed) : EvolutionEngine.Resume(evolution, state);
        _engine.KeepSettled = true; // every candidate's outcome is recorded, cache hits included
        _engine.GenerationCompleted += _ => _generationEnded = true;
        if (_engine.Surrogate?.Options is { Features: not SurrogateFeatureKind.Probe } sur)
        {
            var objective = evolution.Objectives[sur.Objective];
            var features = (services.GetService(typeof(ISurrogateFeatureSource)) as ISurrogateFeatureSource)?.For(sur.Features, objective.Task)
                ?? throw new InvalidJobException(
                    $"The space's surrogate asks for '{sur.Features.ToString().ToLowerInvariant()}' features of {objective.Key}, which only a coordinator that can train computes " +
                    "(actsearch run or serve); this one cannot: use 'surrogate.features: probe'.");
            _engine.UseSurrogateFeatures(features);
            _keptFeatures = features as IKeptFeatures;
        }
    }

    /// <summary>
    /// Hands the surrogate's kept feature set the vectors any job stored for it (the latest <see cref="SearchJobOptions.StoredFeaturesRead"/>),
    /// so a function some job measured before is not computed again.
    /// </summary>
    private async Task KnowStoredFeaturesAsync()
    {
        if (_keptFeatures is not { } kept) return;
        var stored = await store.LoadFeaturesAsync(kept.Key, _options.StoredFeaturesRead);
        kept.Know(stored);
        LogStoredFeatures(JobId, stored.Count, kept.Key.ToString());
    }

    /// <summary>
    /// Writes what waits for the store, ends the job when its end is decided, hands out candidates while it runs and
    /// workers have room, then saves what is due. A store that does not answer stops the pump until the next tick.
    /// </summary>
    private async Task PumpAsync()
    {
        if (_job is null) return; // not submitted, or let go during an outage
        try
        {
            if (!await FlushAsync()) return; // the rest in a later turn
            if (_ending is { } end)
            {
                await EndAsync(end.State, end.Error);
                return;
            }
            while (IsRunning && !_engine!.IsFinished)
            {
                if (!await FlushAsync()) return;
                await SaveDueAsync(); // before asking: a checkpoint sits on a clean generation boundary
                if (WallTimeSpent())
                {
                    LogWallTime(JobId);
                    _engine.Stop();
                    break;
                }
                int room = (_options.MaxInFlight > 0 ? _options.MaxInFlight : workers.TotalSlots()) - _inFlight.Count;
                if (room <= 0) break;
                var batch = _engine.Ask(room);
                EnqueueSettled();
                _predictions.AddRange(_engine.TakePredictions());
                if (_keptFeatures is not null) _featuresUnwritten.AddRange(_keptFeatures.TakeComputed());
                if (batch.Count == 0) break;
                var sends = new List<Dispatch>(batch.Count);
                foreach (var c in batch)
                {
                    if (_recovered.Remove(c.Id, out var r) && r.Candidate.Fingerprint == c.Fingerprint)
                    {
                        Tell(c, r.Outcome); // scored and recorded before the restart
                        continue;
                    }
                    sends.Add(_inFlight.Add(c));
                }
                await SendAsync(sends);
                await WritePredictionsAsync();
                await WriteFeaturesAsync();
            }
            await WritePredictionsAsync(); // what an ask that handed nothing out left
            await WriteFeaturesAsync();
            if (!await FlushAsync()) return;
            await SaveDueAsync();
            if (_ending is { } ended)
                await EndAsync(ended.State, ended.Error);
            else if (_job is { State: JobState.Running or JobState.Paused } && _engine!.IsFinished && _inFlight.Count == 0)
                await EndAsync(JobState.Finished, null);
        }
        catch (StorageException e) when (e.IsTransient)
        {
            StoreDown(e); // what waits stays queued; the next tick tries again
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogJobFailed(JobId, e); // the log keeps the detail; the job's public error names no path, host or user
            if (_job is null || _job.State.IsFinal()) return;
            BeginEnd(JobState.Failed, PublicError(e));
            try
            {
                await EndAsync(_ending!.Value.State, _ending.Value.Error);
            }
            catch (StorageException s)
            {
                StoreDown(s);
            }
        }
    }

    /// <summary>
    /// The surrogate's predictions, written after the candidates they rank went out (they inform readers, not the search:
    /// a store that fails here keeps them queued for the next turn, and a coordinator that stops first loses only them).
    /// </summary>
    private async Task WritePredictionsAsync()
    {
        if (_predictions.Count == 0) return;
        await store.RecordPredictionsAsync(JobId, [.. _predictions]);
        _predictions.Clear();
    }

    /// <summary>
    /// The feature vectors the surrogate computed, kept for every later job (like the predictions: a store that fails keeps
    /// them queued, and a coordinator that stops first loses only them, which a later job computes again).
    /// </summary>
    private async Task WriteFeaturesAsync()
    {
        if (_featuresUnwritten.Count == 0) return;
        await store.SaveFeaturesAsync(_keptFeatures!.Key, [.. _featuresUnwritten]);
        _featuresUnwritten.Clear();
    }

    private async Task SendAsync(IReadOnlyList<Dispatch> sends)
    {
        if (sends.Count == 0) return;
        var request = _job!.Spec;
        await Task.WhenAll(sends.Select(async d =>
        {
            int attempt = _inFlight.Sending(d);
            try
            {
                // Bounded here too: while the cluster recovers from a dead silo, placing the worker's activation can
                // wait on the grain directory, and this grain must not wait with it (its timer would stop).
                var accepted = await Worker(d).Evaluate(new EvaluationRequest(JobId, attempt, d.Candidate, request.SpaceYaml, request.SpaceFileName, _space!.Seed))
                    .WaitAsync(_options.DispatchTimeout);
                board.Accepted(accepted.Silo, accepted.Load);
                _inFlight.Accepted(d, attempt, accepted.Silo);
            }
            catch (Exception e) // no worker silo, a lost message, placement cancelled or timed out: none is the job's own cancellation
            {
                // No worker silo, a lost message: send the same attempt again soon (idempotent per key).
                LogDispatchFailed(JobId, d.Candidate.Id, e.Message);
                _inFlight.SendFailed(d);
            }
        }));
    }

    private async Task TickAsync(CancellationToken cancellation)
    {
        if (_job is null || _job.State.IsFinal()) return;
        var plan = _inFlight.Tick(workers.IsDead);
        foreach (var (d, reason) in plan.GiveUp) Enqueue(d.Candidate, new CandidateOutcome.Failed(reason), default);
        foreach (var old in plan.CancelOld) _ = Worker(old.Candidate, old.Attempt).Cancel();
        foreach (var (d, why) in plan.Redispatched) LogRedispatch(JobId, d.Candidate.Id, d.Attempt, why);
        await SendAsync(plan.Send);
        await PumpAsync();
    }

    /// <summary>Queues a candidate's outcome (from a worker, or decided here) for its write; the engine hears it once written.</summary>
    private void Enqueue(Candidate c, CandidateOutcome outcome, TimeSpan spent)
    {
        if (outcome is CandidateOutcome.Evaluated ev && ev.Objectives.Length != _engine!.Options.Objectives.Length)
            outcome = new CandidateOutcome.Failed($"The scorer returned {ev.Objectives.Length} objective values; the search has {_engine.Options.Objectives.Length}.");
        _unwritten.AddLast(new Unwritten(c, outcome, spent, Settled: false));
    }

    /// <summary>
    /// Queues the outcomes of candidates the engine settled itself (a known function answered from its cache, a
    /// duplicate of its generation, one cancelled before it was handed out): every candidate has one outcome.
    /// <paramref name="next"/>: they go before what waits (what telling an outcome settled is written right after it), so
    /// the store's order of records is the order in which the engine heard of them, which a steady-state job replays.
    /// </summary>
    private void EnqueueSettled(bool next = false)
    {
        LinkedListNode<Unwritten>? last = null;
        foreach (var (c, outcome) in _engine!.TakeSettled())
        {
            if (_recovered.Remove(c.Id, out var r) && r.Candidate.Fingerprint == c.Fingerprint) continue; // recorded before a restart
            var w = new Unwritten(c, outcome, default, Settled: true);
            last = !next ? _unwritten.AddLast(w) : last is null ? _unwritten.AddFirst(w) : _unwritten.AddAfter(last, w);
        }
    }

    /// <summary>
    /// Writes the queued outcomes in order. Each is told to the engine once its write committed (a recorded outcome wins
    /// over a new one); what telling settles joins the queue. Throws the store's exception with the rest still queued.
    /// False when the turn's time (<see cref="SearchJobOptions.MaxTurn"/>) ran out first: the rest is written in a turn
    /// of its own that starts at once, after the calls waiting for this grain (a status, a cancel) had theirs.
    /// </summary>
    private async Task<bool> FlushAsync()
    {
        long started = time.GetTimestamp();
        while (_unwritten.First?.Value is { } w)
        {
            if (time.GetElapsedTime(started) >= _options.MaxTurn)
            {
                ContinueSoon();
                return false;
            }
            if (w is { Settled: true, Outcome: CandidateOutcome.Cancelled })
            {
                await WriteCancelledAsync();
                continue;
            }
            var outcome = w.Outcome;
            bool cached = w.Settled;
            bool written = await store.RecordOutcomeAsync(JobId, w.Candidate, outcome, w.Spent, cached);
            if (!written && !w.Settled)
            {
                var recorded = (await store.LoadOutcomesAsync(JobId, w.Candidate.Id))
                    .FirstOrDefault(r => r.Candidate.Id == w.Candidate.Id && r.Candidate.Rung == w.Candidate.Rung);
                if (recorded is not null) outcome = recorded.Outcome;
            }
            _unwritten.RemoveFirst();
            StoreAnswered();
            if (w.Settled)
            {
                // A child the surrogate screened out is a rejection the engine decided itself: the stage counts it like the others.
                if (written && outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage } screened) CountRejection(screened);
                continue;
            }
            if (written && outcome is CandidateOutcome.Rejected r) CountRejection(r);
            Tell(w.Candidate, outcome);
            EnqueueSettled(next: true);
            StopOnSystemicFailure(w.Candidate, outcome);
        }
        return true;
    }

    /// <summary>The settled cancellations at the head of the queue (a stopped generation's), up to 5,000 in one write.</summary>
    private async Task WriteCancelledAsync()
    {
        var batch = new List<Candidate>();
        foreach (var w in _unwritten)
        {
            if (w is not { Settled: true, Outcome: CandidateOutcome.Cancelled } || batch.Count == 5000) break;
            batch.Add(w.Candidate);
        }
        await store.RecordCancelledAsync(JobId, batch);
        for (int i = 0; i < batch.Count; i++) _unwritten.RemoveFirst();
        StoreAnswered();
    }

    /// <summary>Runs <see cref="PumpAsync"/> again in a turn of its own, queued behind the calls already waiting.</summary>
    private void ContinueSoon() => _continuation ??= this.RegisterGrainTimer(async _ =>
    {
        _continuation?.Dispose();
        _continuation = null;
        await PumpAsync();
    }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = false });

    /// <summary>
    /// A run of candidates failing with one error is not the candidates' fault (no data folder, a broken device, no worker):
    /// after <see cref="SearchJobOptions.MaxConsecutiveFailures"/> of them, with no candidate trained in between (rejections
    /// may come between), the job stops with that error. Runs are counted per fidelity rung, because a rung can fail for
    /// a reason of its own (its full data is not installed) while the rungs below keep training.
    /// </summary>
    private void StopOnSystemicFailure(Candidate candidate, CandidateOutcome outcome)
    {
        var (run, reason) = _failures.GetValueOrDefault(candidate.Rung);
        switch (outcome)
        {
            case CandidateOutcome.Failed f when f.Error == reason:
                run++;
                break;
            case CandidateOutcome.Failed f:
                (run, reason) = (1, f.Error);
                break;
            case CandidateOutcome.Evaluated: // a trained candidate shows the system works; a rejection by a cheap stage shows nothing
                _failures.Remove(candidate.Rung);
                return;
            default:
                return;
        }
        _failures[candidate.Rung] = (run, reason);
        if (_options.MaxConsecutiveFailures > 0 && run >= _options.MaxConsecutiveFailures && _job is { } job && !job.State.IsFinal())
            BeginEnd(JobState.Failed, (candidate.Rung == 0 ? $"{run} candidates in a row" : $"{run} promotions to fidelity rung {candidate.Rung} in a row")
                + $" failed with the same error, so the job stopped: {reason}");
    }

    private void Tell(Candidate c, CandidateOutcome outcome) => _engine!.Tell(c.Id, outcome);

    private void CountRejection(CandidateOutcome.Rejected r) =>
        _rejectedByStage[r.Stage] = _rejectedByStage.GetValueOrDefault(r.Stage) + 1;

    /// <summary>
    /// At every generation boundary (generational: the engine's state then has no unfinished generation; steady state:
    /// every OffspringPerGeneration ended children, with what is in flight), once every outcome before it is stored: the
    /// checkpoint when <see cref="CheckpointDue"/>, the front and the job row; the boundary stays due until they are written.
    /// </summary>
    private async Task SaveDueAsync()
    {
        if (!_generationEnded || _unwritten.Count > 0) return;
        if (CheckpointDue()) await SaveCheckpointAsync();
        await SaveFrontAsync();
        var job = _job! with { RunningTime = RunningTime() };
        await store.SaveJobAsync(job, _resolved);
        _job = job;
        _generationEnded = false;
        await NotifyAsync();
    }

    /// <summary>
    /// Whether this boundary gets a checkpoint: always in a generational job; in a steady-state job once the time since the
    /// last one is at least its cost over <see cref="SearchJobOptions.CheckpointTimeShare"/>, so checkpoints take a bounded
    /// share of the coordinator however large the engine's state grows.
    /// </summary>
    private bool CheckpointDue() =>
        _engine!.Mode == EvolutionMode.Generational || _checkpointedAt == 0 || _options.CheckpointTimeShare >= 1
        || time.GetElapsedTime(_checkpointedAt) * _options.CheckpointTimeShare >= _checkpointCost;

    private async Task SaveCheckpointAsync()
    {
        long start = time.GetTimestamp();
        await store.SaveCheckpointAsync(JobId, _engine!.Generation, await CheckpointJsonAsync());
        _checkpointedAt = time.GetTimestamp();
        _checkpointCost = time.GetElapsedTime(start, _checkpointedAt);
    }

    /// <summary>The front as it stands after the engine's latest generation, kept per generation for its history.</summary>
    private Task SaveFrontAsync()
    {
        var status = Status();
        return store.SaveFrontAsync(JobId, _engine!.Generation, _engine.Options.Objectives, status.Front);
    }

    /// <summary>
    /// The engine's state as JSON. Exported here (the engine is not thread-safe), written on the thread pool: the
    /// state is immutable, and writing a large fingerprint cache would hold up this grain's scheduler.
    /// </summary>
    private Task<string> CheckpointJsonAsync()
    {
        var state = _engine!.ExportState();
        return Task.Run(state.ToJson);
    }

    /// <summary>Pause or resume: the new state holds once it is stored (else the caller hears that the database is away).</summary>
    private async Task ChangeStateAsync(JobState state)
    {
        var ran = RunningTime();
        var job = _job! with { State = state, RunningTime = ran };
        await StoreOrRefuseAsync(() => store.SaveJobAsync(job, _resolved));
        _ranBefore = ran;
        _runningSince = state == JobState.Running ? time.GetTimestamp() : 0;
        _job = job;
        LogState(JobId, state);
        await NotifyAsync();
    }

    /// <summary>
    /// Runs a write that a caller asked for; a database that does not answer, or refuses, becomes
    /// <see cref="JobStoreUnavailableException"/> (the store's own exception has no codec to cross silos).
    /// </summary>
    private async Task StoreOrRefuseAsync(Func<Task> write)
    {
        try
        {
            await write();
            StoreAnswered();
        }
        catch (StorageException e) when (e.IsTransient)
        {
            StoreDown(e);
            throw new JobStoreUnavailableException();
        }
        catch (StorageException e)
        {
            // Refused for good (a permission, a constraint): the caller hears it in a form that crosses silos; the log keeps the detail.
            LogChangeRefused(JobId, e);
            throw new JobStoreUnavailableException("The job's database refused the change (the coordinator's log has the details); it was not made.");
        }
    }

    /// <summary>Decides the job's end: nothing more is handed out, candidates at workers are cancelled. <see cref="PumpAsync"/> stores it.</summary>
    private void BeginEnd(JobState state, string? error)
    {
        _ending ??= (state, error);
        _engine?.Stop();
        foreach (var d in _inFlight.TakeAll().Where(d => d.Silo is not null)) _ = Worker(d).Cancel();
    }

    /// <summary>Stores the final state (with the last checkpoint and front); the job holds it only once stored.</summary>
    private async Task EndAsync(JobState state, string? error)
    {
        var ran = RunningTime();
        var job = _job! with { State = state, FinishedAt = time.GetUtcNow(), Error = error, RunningTime = ran };
        if (_engine is not null)
        {
            EnqueueSettled();
            if (!await FlushAsync()) return; // ends in a later turn, once every outcome is written
            // The engine's final state, which readers take the job's progress from: a steady-state job does not end on a
            // generation boundary, so its last checkpoint would miss the outcomes after it.
            await SaveCheckpointAsync();
            await SaveFrontAsync();
        }
        await store.SaveJobAsync(job, _resolved);
        StoreAnswered();
        _ranBefore = ran;
        _runningSince = 0;
        _job = job;
        _ending = null;
        _generationEnded = false;
        _timer?.Dispose();
        _timer = null;
        LogState(JobId, state);
        await NotifyAsync();
    }

    /// <summary>What a job's public error says of an exception: storage failures without their connection details.</summary>
    internal static string PublicError(Exception e) => e is StorageException
        ? "The database refused what the job was recording (the coordinator's log has the details)."
        : $"{e.GetType().Name}: {e.Message}";

    /// <summary>
    /// A write failed because the database does not answer. The first failure of an outage is logged; past the outage
    /// window the job lets go (see the class summary).
    /// </summary>
    private void StoreDown(StorageException e)
    {
        if (_storeDownSince == 0)
        {
            _storeDownSince = time.GetTimestamp();
            LogStoreDown(JobId, e.Message, _unwritten.Count, _options.StorageOutageWindow);
            return;
        }
        if (time.GetElapsedTime(_storeDownSince) < _options.StorageOutageWindow) return;
        LogStoreGaveUp(JobId, _options.StorageOutageWindow, _unwritten.Count + _inFlight.Count);
        foreach (var d in _inFlight.TakeAll().Where(d => d.Silo is not null)) _ = Worker(d).Cancel();
        _unwritten.Clear();
        _timer?.Dispose();
        _timer = null;
        _job = null; // answers as unknown until it deactivates; the next activation reads the store again
        DeactivateOnIdle();
    }

    private void StoreAnswered()
    {
        if (_storeDownSince == 0) return;
        LogStoreBack(JobId, time.GetElapsedTime(_storeDownSince), _unwritten.Count);
        _storeDownSince = 0;
    }

    private void StartTimer() => _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(_options.TickInterval, _options.TickInterval)
    {
        KeepAlive = true, // a running job stays active even when nobody calls it
        Interleave = false,
    });

    private bool WallTimeSpent() => _engine!.Options.Budget.WallTime is { } limit && RunningTime() >= limit;

    private TimeSpan RunningTime() =>
        _ranBefore + (_runningSince != 0 ? time.GetElapsedTime(_runningSince) : TimeSpan.Zero);

    private IEvaluationWorkerGrain Worker(Dispatch d) => Worker(d.Candidate, d.Attempt);

    private IEvaluationWorkerGrain Worker(Candidate candidate, int attempt) =>
        GrainFactory.GetGrain<IEvaluationWorkerGrain>(EvaluationKey.For(JobId, candidate, attempt));

    private async Task NotifyAsync()
    {
        if (_observers is not { Count: > 0 }) return;
        var status = Status();
        await _observers.Notify(o => o.OnJobChanged(status));
    }

    private JobStatus Status()
    {
        if (_job is null) return JobStatus.Unknown(JobId);
        var spec = _job.Spec;
        var e = _engine;
        var stats = e?.Statistics ?? new EngineStatistics(0, 0, 0, 0, 0, 0, 0);
        var front = e is null ? [] : e.Front.Select(Entry).ToImmutableArray();
        var best = e is null
            ? ImmutableDictionary<string, FrontEntry>.Empty
            : e.BestPerObjective().ToImmutableDictionary(kv => kv.Key, kv => Entry(kv.Value), StringComparer.Ordinal);
        return new JobStatus(
            JobId, spec.Name, spec.Owner, _job.State, _space?.Seed ?? 0,
            e?.Options.Budget.Evaluations, e?.Options.Budget.WallTime,
            e?.Generation ?? 0, stats.Scored, stats.Evaluated, stats.Rejected, stats.Failed, stats.Cancelled, stats.CacheHits,
            _inFlight.Count + _unwritten.Count(w => !w.Settled), _inFlight.Redispatched, // an outcome counts as in flight until stored
            _rejectedByStage.ToImmutableDictionary(StringComparer.Ordinal),
            e is null ? [] : [.. e.Options.Objectives.Select(o => o.Key)],
            best, front, _job.StartedAt, _job.FinishedAt, RunningTime(), _job.Error,
            e is null || e.Rungs.Count < 2 ? [] : [.. e.Rungs.Select(r => new RungStatus(r.Rung, r.Fidelity.ToString(), r.Scored, r.Evaluated, r.Promoted))]);

        static FrontEntry Entry(Member m) => new(
            m.Candidate.Id, m.Candidate.Generation, m.Genome, TextPrinter.PrintCanonical(m.Genome),
            m.Outcome is CandidateOutcome.Evaluated ev ? ev.Objectives : [], m.Rung);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted: space {Space}, seed {Seed}.")]
    private partial void LogSubmitted(Guid jobId, string space, ulong seed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the surrogate starts from {Count} catalog values of {Objective}.")]
    private partial void LogWarmStart(Guid jobId, int count, string objective);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: no warm start for the surrogate: the lowest fidelity rung does not train {Objective} as its task does, and the catalog keeps only that.")]
    private partial void LogNoWarmStart(Guid jobId, string objective);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the checkpoint of its warm start was not stored ({Reason}); it runs on, and resumes from its first generation's checkpoint")]
    private partial void LogWarmStartCheckpointLost(Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the surrogate knows {Count} stored feature vectors of {Key}")]
    private partial void LogStoredFeatures(Guid jobId, int count, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} resumes at generation {Generation} with {Recovered} outcomes recorded after its checkpoint.")]
    private partial void LogResuming(Guid jobId, int generation, int recovered);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} is now {State}.")]
    private partial void LogState(Guid jobId, JobState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} spent its wall-time budget; finishing the candidates in flight.")]
    private partial void LogWallTime(Guid jobId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId}: candidate {CandidateId} {Kind} on {Silo} (attempt {Attempt}).")]
    private partial void LogOutcome(Guid jobId, long candidateId, string kind, SiloAddress silo, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: dispatching candidate {CandidateId} failed ({Reason}); retrying.")]
    private partial void LogDispatchFailed(Guid jobId, long candidateId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: candidate {CandidateId} dispatched again (attempt {Attempt}): {Why}.")]
    private partial void LogRedispatch(Guid jobId, long candidateId, int attempt, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the database does not answer ({Reason}); {Waiting} outcomes wait in memory, nothing new is handed out, and every tick tries again for up to {Window}.")]
    private partial void LogStoreDown(Guid jobId, string reason, int waiting, TimeSpan window);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: the database answers again after {Outage}; {Waiting} outcomes still to write.")]
    private partial void LogStoreBack(Guid jobId, TimeSpan outage, int waiting);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: the database has not answered for {Window}; the job lets go of {Lost} candidates (trained again after it resumes) and waits, as stored, for the supervisor to wake it.")]
    private partial void LogStoreGaveUp(Guid jobId, TimeSpan window, int lost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} cannot activate: {Reason}")]
    private partial void LogActivationFailed(Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: the database refused a change a caller asked for.")]
    private partial void LogChangeRefused(Guid jobId, Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} failed.")]
    private partial void LogJobFailed(Guid jobId, Exception error);
}
