using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Grains.Tests;

/// <summary>
/// The <see cref="IJobStore"/> contract, as one suite every backend runs (Optuna's storage tests): subclass it
/// with a fresh store. The PostgreSQL store in ActSearch.Storage gets a subclass in its own tests.
/// </summary>
public abstract class JobStoreContract
{
    protected abstract IJobStore CreateStore();

    private static Candidate Candidate(long id)
    {
        var genome = ExprParser.Parse($"x * {id + 1}");
        return new Candidate(id, genome, 0, [], "init", Fingerprint.Of(genome));
    }

    private static JobRecord Job(Guid id, JobState state) =>
        new(id, TestSpaces.Spec(), state, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task A_job_record_round_trips_and_unfinished_jobs_are_listed()
    {
        var store = CreateStore();
        Guid running = Guid.NewGuid(), done = Guid.NewGuid();
        await store.SaveJobAsync(Job(running, JobState.Running));
        await store.SaveJobAsync(Job(done, JobState.Finished));

        Assert.Equal(Job(running, JobState.Running), await store.LoadJobAsync(running));
        Assert.Null(await store.LoadJobAsync(Guid.NewGuid()));
        var unfinished = await store.ListUnfinishedJobsAsync();
        Assert.Contains(running, unfinished);
        Assert.DoesNotContain(done, unfinished);
    }

    [Fact]
    public async Task A_cancel_request_round_trips_to_the_tick_and_stays_with_the_final_state()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        var asked = new DateTimeOffset(2026, 12, 7, 13, 5, 1, TimeSpan.Zero).AddTicks(1234567);
        var requested = Job(id, JobState.Running) with { CancelRequestedAt = asked };
        await store.SaveJobAsync(requested);
        Assert.Equal(requested, await store.LoadJobAsync(id));
        Assert.Contains(id, await store.ListUnfinishedJobsAsync()); // still to be ended by whoever activates it

        var ended = requested with { State = JobState.Cancelled, FinishedAt = asked.AddSeconds(3) };
        await store.SaveJobAsync(ended);
        Assert.Equal(ended, await store.LoadJobAsync(id));
    }

    [Fact]
    public async Task A_final_state_is_never_changed_back()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        await store.SaveJobAsync(Job(id, JobState.Cancelled));
        await store.SaveJobAsync(Job(id, JobState.Running));
        Assert.Equal(JobState.Cancelled, (await store.LoadJobAsync(id))!.State);
    }

    [Fact]
    public async Task The_latest_checkpoint_is_the_highest_generation()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        Assert.Null(await store.LoadLatestCheckpointAsync(id));
        await store.SaveCheckpointAsync(id, 2, "{\"g\":2}");
        await store.SaveCheckpointAsync(id, 5, "{\"g\":5}");
        await store.SaveCheckpointAsync(id, 3, "{\"g\":3}");
        var latest = await store.LoadLatestCheckpointAsync(id);
        Assert.Equal(5, latest!.Generation);
        Assert.Equal("{\"g\":5}", latest.EngineStateJson);
    }

    [Fact]
    public async Task An_outcome_copied_from_a_twin_stays_marked_and_a_cancellation_never_is()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(0), new CandidateOutcome.Evaluated([0.5]), TimeSpan.FromSeconds(3)));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(1), new CandidateOutcome.Evaluated([0.5]), cached: true));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(2), new CandidateOutcome.Rejected("numeric", "NaN"), cached: true));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(3), CandidateOutcome.Cancelled.Instance, cached: true));

        var all = await store.LoadOutcomesAsync(id);

        Assert.Equal([false, true, true, false], all.Select(o => o.Cached));
    }

    [Fact]
    public async Task The_first_outcome_of_a_candidate_stays_and_later_ones_are_refused()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(1), new CandidateOutcome.Evaluated([0.5])));
        Assert.False(await store.RecordOutcomeAsync(id, Candidate(1), new CandidateOutcome.Failed("again")));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(0), new CandidateOutcome.Rejected("numeric", "NaN")));
        Assert.True(await store.RecordOutcomeAsync(Guid.NewGuid(), Candidate(1), CandidateOutcome.Cancelled.Instance));

        var all = await store.LoadOutcomesAsync(id);
        Assert.Equal([0L, 1L], all.Select(o => o.Candidate.Id));
        Assert.IsType<CandidateOutcome.Evaluated>(all[1].Outcome);
        Assert.Equal(Candidate(1).Genome, all[1].Candidate.Genome);
        Assert.Single(await store.LoadOutcomesAsync(id, fromCandidateId: 1));
    }

    [Fact]
    public async Task Outcomes_load_in_the_order_they_were_recorded_for_replay()
    {
        var store = CreateStore();
        Guid id = Guid.NewGuid(), other = Guid.NewGuid();
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(5), new CandidateOutcome.Evaluated([0.5])));
        Assert.True(await store.RecordOutcomeAsync(other, Candidate(0), new CandidateOutcome.Evaluated([0.1])));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(2), new CandidateOutcome.Evaluated([0.5]), cached: true));
        Assert.False(await store.RecordOutcomeAsync(id, Candidate(5), new CandidateOutcome.Failed("again"))); // keeps its place
        await store.RecordCancelledAsync(id, [Candidate(9), Candidate(7), Candidate(2)]);
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(1), new CandidateOutcome.Rejected("numeric", "NaN")));

        var replay = await store.LoadOutcomesInRecordedOrderAsync(id);
        Assert.Equal([5L, 2L, 9L, 7L, 1L], replay.Select(o => o.Candidate.Id));
        Assert.Equal(["evaluated", "evaluated", "cancelled", "cancelled", "rejected"], replay.Select(o => o.Outcome.Kind));
        Assert.Equal([false, true, false, false, false], replay.Select(o => o.Cached));
        Assert.Empty(await store.LoadOutcomesInRecordedOrderAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Cancelled_candidates_are_recorded_in_one_batch_and_an_outcome_stored_before_stays()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(2), new CandidateOutcome.Evaluated([0.5])));
        await store.RecordCancelledAsync(id, [.. Enumerable.Range(0, 5).Select(i => Candidate(i))]);
        await store.RecordCancelledAsync(id, [Candidate(4)]); // repeated: nothing twice

        var all = await store.LoadOutcomesAsync(id);
        Assert.Equal([0L, 1L, 2L, 3L, 4L], all.Select(o => o.Candidate.Id));
        Assert.Equal(["cancelled", "cancelled", "evaluated", "cancelled", "cancelled"], all.Select(o => o.Outcome.Kind));
        Assert.All(all, o => Assert.False(o.Cached));
        Assert.Equal(Candidate(3).Genome, all[3].Candidate.Genome);
    }

    [Fact]
    public async Task A_promoted_candidate_has_one_outcome_per_rung_in_recorded_order()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(3), new CandidateOutcome.Evaluated([0.5]), TimeSpan.FromSeconds(1)));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(4), new CandidateOutcome.Evaluated([0.4])));
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(3) with { Rung = 1 }, new CandidateOutcome.Evaluated([0.7]), TimeSpan.FromSeconds(3)));
        Assert.False(await store.RecordOutcomeAsync(id, Candidate(3) with { Rung = 1 }, new CandidateOutcome.Failed("again")));
        Assert.False(await store.RecordOutcomeAsync(id, Candidate(3), new CandidateOutcome.Failed("again")));
        await store.RecordCancelledAsync(id, [Candidate(4) with { Rung = 1 }, Candidate(3) with { Rung = 1 }]); // the second has one already
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(3) with { Rung = 2 }, new CandidateOutcome.Evaluated([0.8]), cached: true));

        var replay = await store.LoadOutcomesInRecordedOrderAsync(id);
        Assert.Equal([(3L, 0), (4L, 0), (3L, 1), (4L, 1), (3L, 2)], replay.Select(o => (o.Candidate.Id, o.Candidate.Rung)));
        Assert.Equal([0.5, 0.7, 0.8], replay.Where(o => o.Candidate.Id == 3).Select(o => ((CandidateOutcome.Evaluated)o.Outcome).Objectives[0]));
        Assert.Equal([false, false, false, false, true], replay.Select(o => o.Cached));
        var byId = await store.LoadOutcomesAsync(id, fromCandidateId: 3);
        Assert.Equal([(3L, 0), (3L, 1), (3L, 2), (4L, 0), (4L, 1)], byId.Select(o => (o.Candidate.Id, o.Candidate.Rung)));
        Assert.Equal(Candidate(3).Genome, byId[2].Candidate.Genome);
    }

    [Fact]
    public async Task Measured_values_for_a_surrogate_are_each_functions_best_latest_sighting_first()
    {
        var store = CreateStore();
        var accuracy = new Objective("accuracy", ObjectiveDirection.Maximize, "fmnist-cnn");
        var resolved = new ResolvedJob("t", 1, 100, null, [accuracy, new Objective("complexity", ObjectiveDirection.Minimize)]);
        Guid first = Guid.NewGuid(), second = Guid.NewGuid();
        await store.SaveJobAsync(Job(first, JobState.Running), resolved);
        await store.SaveJobAsync(Job(second, JobState.Running), resolved);
        Assert.True(await store.RecordOutcomeAsync(first, Candidate(0), new CandidateOutcome.Evaluated([0.80, 3])));
        Assert.True(await store.RecordOutcomeAsync(first, Candidate(1), new CandidateOutcome.Evaluated([0.70, 3])));
        Assert.True(await store.RecordOutcomeAsync(first, Candidate(2), new CandidateOutcome.Rejected("numeric", "NaN")));
        Assert.True(await store.RecordOutcomeAsync(first, Candidate(1) with { Rung = 1 }, new CandidateOutcome.Evaluated([0.99, 3])));
        await Task.Delay(5); // sightings a moment apart
        Assert.True(await store.RecordOutcomeAsync(second, Candidate(0) with { Id = 9 }, new CandidateOutcome.Evaluated([0.85, 3])));

        var measured = await store.LoadMeasuredAsync(accuracy, 10);
        string Formula(long id) => TextPrinter.PrintCanonical(Candidate(id).Genome);
        Assert.Equal([new MeasuredFunction(Formula(0), 0.85), new MeasuredFunction(Formula(1), 0.70)], measured);
        Assert.Single(await store.LoadMeasuredAsync(accuracy, 1));
        Assert.Empty(await store.LoadMeasuredAsync(accuracy with { Task = "fmnist-mlp" }, 10));
    }

    [Fact]
    public async Task Kept_features_are_one_vector_per_function_and_key_newest_first()
    {
        var store = CreateStore();
        var key = new FeatureKey("fisher", $"task-{Guid.NewGuid():N}", 1); // stored features are shared by every job: a fresh task
        var (a, b, c) = (Candidate(1).Fingerprint, Candidate(2).Fingerprint, Candidate(3).Fingerprint);
        await store.SaveFeaturesAsync(key, [new FunctionFeatures(a, [1.0, -2.5], 0.06)]);
        await Task.Delay(5); // stored a moment apart
        await store.SaveFeaturesAsync(key, [new FunctionFeatures(b, [3.0, 4.0], 0.07), new FunctionFeatures(a, [9.0, 9.0], 0.01)]);
        await store.SaveFeaturesAsync(key with { Version = 2 }, [new FunctionFeatures(c, [5.0], 0.08)]);

        var kept = await store.LoadFeaturesAsync(key, 10);
        Assert.Equal([b, a], kept.Select(f => f.Fingerprint));
        Assert.Equal([1.0, -2.5], kept[1].Values); // the first vector of a function stays
        Assert.Equal(0.06, kept[1].Seconds);
        Assert.Equal([b], (await store.LoadFeaturesAsync(key, 1)).Select(f => f.Fingerprint));
        Assert.Equal([c], (await store.LoadFeaturesAsync(key with { Version = 2 }, 10)).Select(f => f.Fingerprint));
        Assert.Empty(await store.LoadFeaturesAsync(key with { Kind = "other" }, 10));
    }

    [Fact]
    public async Task Concurrent_reports_of_one_candidate_record_one_outcome()
    {
        var store = CreateStore();
        var id = Guid.NewGuid();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => store.RecordOutcomeAsync(id, Candidate(7), new CandidateOutcome.Evaluated([i])))));
        Assert.Single(results, r => r);
        Assert.Single(await store.LoadOutcomesAsync(id));
    }
}

public sealed class InMemoryJobStoreTests : JobStoreContract
{
    protected override IJobStore CreateStore() => new InMemoryJobStore();
}
