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
