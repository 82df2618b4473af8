using ActSearch.Evolution;
using Orleans.TestingHost;

namespace ActSearch.Grains.Tests;

/// <summary>
/// How often a job writes its checkpoint (<see cref="SearchJobOptions.CheckpointTimeShare"/>): a steady-state job writes
/// one only once the time since the last is at least that one's cost over the share, so a slow checkpoint (a large engine
/// state, a slow database) takes a bounded share of the coordinator; fronts and the job row are still written at every
/// generation boundary, and a job resumed from an older checkpoint replays the rest.
/// </summary>
public sealed class CheckpointCadenceTests
{
    private static readonly TimeSpan SlowCheckpoint = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_steady_state_job_with_slow_checkpoints_writes_few_of_them_but_its_front_at_every_boundary()
    {
        var store = new FlakyJobStore { CheckpointDelay = SlowCheckpoint };
        // 5%: after a 300 ms checkpoint, the next only 6 s later; the job runs about 2 s.
        await using var cluster = await OneSilo.StartAsync(store, o => o.CheckpointTimeShare = 0.05);
        var (id, done) = await RunAsync(cluster, TestSpaces.Spec(budget: 96, seed: 3));

        Assert.Equal(JobState.Finished, done.State);
        var (checkpoints, fronts) = store.Writes;
        Assert.True(done.Generation >= 8, $"{done.Generation} generation boundaries");
        Assert.True(fronts >= done.Generation, $"a front at every boundary: {fronts} fronts, {done.Generation} boundaries");
        Assert.InRange(checkpoints, 2, 3); // the first boundary's, the final one, at most one more if the run was slow
        // The final checkpoint is the engine's state at the end: a job read from the store counts every candidate.
        var last = await store.Inner.LoadLatestCheckpointAsync(id);
        Assert.Equal(done.Generation, last!.Generation);
        Assert.Equal(done.Scored, EngineState.FromJson(last.EngineStateJson).Statistics.Scored);
    }

    [Theory]
    [InlineData("steady_state", 1.0)]
    [InlineData("generational", 0.05)]
    public async Task Every_boundary_gets_a_checkpoint_when_the_share_is_whole_and_in_generational_mode_always(string mode, double share)
    {
        var store = new FlakyJobStore { CheckpointDelay = SlowCheckpoint };
        await using var cluster = await OneSilo.StartAsync(store, o => o.CheckpointTimeShare = share);
        var spec = mode == "generational" ? TestSpaces.Generational(budget: 48, seed: 3) : TestSpaces.Spec(budget: 48, seed: 3);
        var (_, done) = await RunAsync(cluster, spec);

        Assert.Equal(JobState.Finished, done.State);
        var (checkpoints, fronts) = store.Writes;
        Assert.True(done.Generation >= 4, $"{done.Generation} generation boundaries");
        Assert.Equal(fronts, checkpoints); // one of each per boundary and at the end
    }

    [Fact]
    public async Task A_steady_state_job_reactivated_long_after_its_checkpoint_replays_the_rest_and_trains_nothing_twice()
    {
        var store = new FlakyJobStore { CheckpointDelay = SlowCheckpoint };
        await using var cluster = await OneSilo.StartAsync(store, o => o.CheckpointTimeShare = 0.01); // 30 s between checkpoints
        var id = Guid.NewGuid();
        ScriptedScorer.Scripts[id] = new Script { Delay = TimeSpan.FromMilliseconds(40) };
        var job = cluster.Client.GetGrain<ISearchJobGrain>(id);
        await job.Submit(TestSpaces.Spec(budget: 120, seed: 3));
        await job.Until(s => s.Generation >= 5);
        await job.Pause();
        var before = await job.Until(s => s.InFlight == 0); // what was out has come back and is recorded
        var checkpoint = await store.Inner.LoadLatestCheckpointAsync(id);
        Assert.Equal(1, checkpoint!.Generation); // the later boundaries came too soon after it
        await cluster.DeactivateAsync(job); // in-memory state is lost; the store has generation 1's state and every outcome

        var after = await job.GetStatus(); // activates it: the checkpoint, then every outcome after it in recorded order
        Assert.Equal((before.Scored, before.CacheHits, before.Evaluated, before.Rejected, before.Generation),
            (after.Scored, after.CacheHits, after.Evaluated, after.Rejected, after.Generation));
        Assert.Equal(before.Front.Select(f => f.CandidateId), after.Front.Select(f => f.CandidateId));
        await job.Resume();
        var done = await job.UntilFinal();

        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(120, done.Scored);
        var outcomes = await store.Inner.LoadOutcomesAsync(id);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id));
        Assert.Equal(0, store.Inner.DuplicateOutcomes);
        var trained = ScriptedScorer.Calls[id].Select(c => c.Candidate).ToList();
        Assert.Equal(trained.Count, trained.Distinct().Count());
    }

    private static async Task<(Guid Id, JobStatus Done)> RunAsync(InProcessTestCluster cluster, JobSpec spec)
    {
        var id = Guid.NewGuid();
        ScriptedScorer.Scripts[id] = new Script { Delay = TimeSpan.FromMilliseconds(30) };
        var job = cluster.Client.GetGrain<ISearchJobGrain>(id);
        await job.Submit(spec);
        return (id, await job.UntilFinal());
    }
}
