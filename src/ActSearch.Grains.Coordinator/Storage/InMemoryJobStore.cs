using System.Collections.Immutable;
using ActSearch.Evolution;

namespace ActSearch.Grains;

/// <summary>
/// <see cref="IJobStore"/> in this process's memory: for tests and single-process runs without a database.
/// Everything is lost with the process, so a coordinator that restarts cannot resume from it.
/// </summary>
public sealed class InMemoryJobStore(TimeProvider? time = null) : IJobStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, JobRecord> _jobs = [];
    private readonly Dictionary<Guid, ResolvedJob> _resolved = [];
    private readonly Dictionary<Guid, SortedDictionary<long, CandidatePrediction>> _predictions = [];
    private readonly Dictionary<FeatureKey, List<FunctionFeatures>> _features = []; // oldest first
    private readonly Dictionary<Guid, SortedDictionary<int, JobCheckpoint>> _checkpoints = [];
    private readonly Dictionary<Guid, SortedDictionary<(long Id, int Rung), RecordedOutcome>> _outcomes = [];
    private readonly Dictionary<Guid, List<RecordedOutcome>> _recordedOrder = [];
    private readonly Dictionary<(Guid, int), (ImmutableArray<string> Objectives, ImmutableArray<FrontEntry> Front)> _fronts = [];
    private long _duplicateOutcomes;

    /// <summary>Outcomes offered for a candidate that already had one (and refused). Tests expect none from a sound job grain.</summary>
    public long DuplicateOutcomes => Interlocked.Read(ref _duplicateOutcomes);

    public Task SaveJobAsync(JobRecord job, ResolvedJob? resolved = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            if (_jobs.TryGetValue(job.JobId, out var old) && old.State.IsFinal() && old.State != job.State) return Task.CompletedTask;
            _jobs[job.JobId] = job;
            if (resolved is not null) _resolved[job.JobId] = resolved;
        }
        return Task.CompletedTask;
    }

    public Task<JobRecord?> LoadJobAsync(Guid jobId, CancellationToken cancellation = default)
    {
        lock (_gate) return Task.FromResult(_jobs.GetValueOrDefault(jobId));
    }

    public Task<IReadOnlyList<Guid>> ListUnfinishedJobsAsync(CancellationToken cancellation = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<Guid>>([.. _jobs.Values.Where(j => !j.State.IsFinal()).Select(j => j.JobId)]);
    }

    public Task SaveCheckpointAsync(Guid jobId, int generation, string engineStateJson, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(engineStateJson);
        lock (_gate)
        {
            if (!_checkpoints.TryGetValue(jobId, out var list)) _checkpoints[jobId] = list = [];
            list[generation] = new JobCheckpoint(jobId, generation, engineStateJson, _time.GetUtcNow());
        }
        return Task.CompletedTask;
    }

    public Task SaveFrontAsync(Guid jobId, int generation, ImmutableArray<Objective> objectives, ImmutableArray<FrontEntry> front, CancellationToken cancellation = default)
    {
        lock (_gate) _fronts[(jobId, generation)] = ([.. objectives.Select(o => o.Key)], front);
        return Task.CompletedTask;
    }

    /// <summary>The front saved for a generation, or null.</summary>
    public ImmutableArray<FrontEntry>? Front(Guid jobId, int generation)
    {
        lock (_gate) return _fronts.TryGetValue((jobId, generation), out var f) ? f.Front : null;
    }

    /// <summary>Nothing to bring up to date: this store lives as long as its process.</summary>
    public Task PrepareAsync(CancellationToken cancellation = default) => Task.CompletedTask;

    public Task<JobCheckpoint?> LoadLatestCheckpointAsync(Guid jobId, CancellationToken cancellation = default)
    {
        lock (_gate)
            return Task.FromResult(_checkpoints.TryGetValue(jobId, out var list) && list.Count > 0 ? list.Values.Last() : null);
    }

    public Task<bool> RecordOutcomeAsync(Guid jobId, Candidate candidate, CandidateOutcome outcome, TimeSpan spent = default, bool cached = false, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(outcome);
        lock (_gate)
        {
            if (!_outcomes.TryGetValue(jobId, out var map)) _outcomes[jobId] = map = [];
            if (map.ContainsKey((candidate.Id, candidate.Rung)))
            {
                _duplicateOutcomes++;
                return Task.FromResult(false);
            }
            Keep(jobId, map[(candidate.Id, candidate.Rung)] = new RecordedOutcome(candidate, outcome, _time.GetUtcNow(), cached && outcome is not CandidateOutcome.Cancelled));
            return Task.FromResult(true);
        }
    }

    public Task RecordCancelledAsync(Guid jobId, IReadOnlyList<Candidate> candidates, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        lock (_gate)
        {
            if (!_outcomes.TryGetValue(jobId, out var map)) _outcomes[jobId] = map = [];
            var now = _time.GetUtcNow();
            foreach (var c in candidates)
            {
                var recorded = new RecordedOutcome(c, CandidateOutcome.Cancelled.Instance, now);
                if (map.TryAdd((c.Id, c.Rung), recorded)) Keep(jobId, recorded);
                else _duplicateOutcomes++;
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesInRecordedOrderAsync(Guid jobId, CancellationToken cancellation = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<RecordedOutcome>>(_recordedOrder.TryGetValue(jobId, out var list) ? [.. list] : []);
    }

    public Task RecordPredictionsAsync(Guid jobId, IReadOnlyList<CandidatePrediction> predictions, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        lock (_gate)
        {
            if (!_predictions.TryGetValue(jobId, out var map)) _predictions[jobId] = map = [];
            foreach (var p in predictions) map.TryAdd(p.CandidateId, p);
        }
        return Task.CompletedTask;
    }

    public Task SaveFeaturesAsync(FeatureKey key, IReadOnlyList<FunctionFeatures> features, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(features);
        lock (_gate)
        {
            if (!_features.TryGetValue(key, out var list)) _features[key] = list = [];
            foreach (var f in features)
                if (!list.Exists(k => k.Fingerprint == f.Fingerprint)) list.Add(f);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<FunctionFeatures>> LoadFeaturesAsync(FeatureKey key, int count, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
            return Task.FromResult<IReadOnlyList<FunctionFeatures>>(_features.TryGetValue(key, out var list) ? [.. Enumerable.Reverse(list).Take(count)] : []);
    }

    /// <summary>The predictions recorded for a job, in candidate order.</summary>
    public IReadOnlyList<CandidatePrediction> Predictions(Guid jobId)
    {
        lock (_gate) return _predictions.TryGetValue(jobId, out var map) ? [.. map.Values] : [];
    }

    /// <summary>The catalog's rule over this store's jobs: each function's best rung-0 value measured as its task trains, latest sighting first.</summary>
    public Task<IReadOnlyList<MeasuredFunction>> LoadMeasuredAsync(Objective objective, int count, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        lock (_gate)
        {
            var best = new Dictionary<ActSearch.Expressions.Fingerprint, (string Formula, double Value, int Order)>();
            int order = 0;
            foreach (var (jobId, list) in _recordedOrder)
            {
                if (!_resolved.TryGetValue(jobId, out var job)) continue;
                int k = job.Objectives.IndexOf(job.Objectives.FirstOrDefault(o => o.Key == objective.Key)!);
                if (k < 0 || !job.TrainsAsTask(0, objective.Task)) continue;
                foreach (var r in list)
                {
                    order++;
                    if (r.Candidate.Rung != 0 || r.Outcome is not CandidateOutcome.Evaluated e || !double.IsFinite(e.Objectives[k])) continue;
                    double v = e.Objectives[k];
                    bool better = !best.TryGetValue(r.Candidate.Fingerprint, out var known)
                        || (objective.Direction == ObjectiveDirection.Maximize ? v > known.Value : v < known.Value);
                    best[r.Candidate.Fingerprint] = (ActSearch.Expressions.TextPrinter.PrintCanonical(r.Candidate.Genome), better ? v : known.Value, order);
                }
            }
            return Task.FromResult<IReadOnlyList<MeasuredFunction>>(
                [.. best.Values.OrderByDescending(b => b.Order).Take(count).Select(b => new MeasuredFunction(b.Formula, b.Value))]);
        }
    }

    private void Keep(Guid jobId, RecordedOutcome recorded)
    {
        if (!_recordedOrder.TryGetValue(jobId, out var list)) _recordedOrder[jobId] = list = [];
        list.Add(recorded);
    }

    public Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesAsync(Guid jobId, long fromCandidateId = 0, CancellationToken cancellation = default)
    {
        lock (_gate)
        {
            IReadOnlyList<RecordedOutcome> result = _outcomes.TryGetValue(jobId, out var map)
                ? [.. map.Where(kv => kv.Key.Id >= fromCandidateId).Select(kv => kv.Value)]
                : [];
            return Task.FromResult(result);
        }
    }
}
