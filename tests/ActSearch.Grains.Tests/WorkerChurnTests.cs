using ActSearch.Hosting;
using ActSearch.Evolution;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace ActSearch.Grains.Tests;

/// <summary>
/// Workers come and go under a running job: a cluster that starts with its coordinator alone, gets workers later,
/// and loses one mid-job. Its own cluster, so that killing a silo cannot disturb the other tests.
/// </summary>
public sealed class WorkerChurnTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.AssumeHomogenousSilosForTesting = false;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            var roles = options.SiloName == ClusterFixture.CoordinatorName ? SiloRoles.Coordinator : SiloRoles.Worker;
            silo.AddActSearchGrains(roles, w => w.Slots = ClusterFixture.SlotsPerWorker);
            silo.Services.AddSingleton<ICandidateScorer, ScriptedScorer>();
            silo.Services.Configure<SearchJobOptions>(o =>
            {
                o.CandidateDeadline = TimeSpan.FromSeconds(3);
                o.TickInterval = TimeSpan.FromMilliseconds(100);
                o.RetryDelay = TimeSpan.FromMilliseconds(200);
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_job_waits_for_workers_survives_losing_one_and_every_candidate_ends_with_one_outcome()
    {
        var id = Guid.NewGuid();
        var script = new Script { Delay = TimeSpan.FromMilliseconds(20) };
        ScriptedScorer.Scripts[id] = script;
        var job = _cluster.Client.GetGrain<ISearchJobGrain>(id);
        var coordinator = _cluster.Silos[0].SiloAddress;

        await job.Submit(TestSpaces.Spec(budget: 40));
        var waiting = await job.GetStatus();
        Assert.Equal(JobState.Running, waiting.State);
        Assert.Equal(0, waiting.Scored); // a coordinator-only cluster evaluates nothing

        var first = await _cluster.StartAdditionalSiloAsync();
        var second = await _cluster.StartAdditionalSiloAsync();
        script.HoldOn = second.SiloAddress; // what it takes stays in flight until it dies
        await job.Until(s => s.Scored >= 8);
        await Waiting.Until(() => ScriptedScorer.Active(id, second.SiloAddress) > 0, "the second worker is scoring a candidate");
        await _cluster.KillSiloAsync(second); // its candidates in flight are lost with it

        var done = await job.UntilFinal(TimeSpan.FromSeconds(60));

        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(40, done.Scored);
        Assert.True(done.Redispatched >= 1, "the killed worker's candidates were dispatched again");
        var store = (InMemoryJobStore)_cluster.GetSiloServiceProvider(coordinator).GetRequiredService<IJobStore>();
        var outcomes = await store.LoadOutcomesAsync(id);
        Assert.Equal(outcomes.Count, outcomes.Select(o => o.Candidate.Id).Distinct().Count());
        Assert.Equal(40 + done.CacheHits, outcomes.Count(o => o.Outcome is not CandidateOutcome.Cancelled)); // answered from the cache: recorded too
        Assert.DoesNotContain(outcomes, o => o.Outcome is CandidateOutcome.Failed);
        Assert.Equal(0, store.DuplicateOutcomes);
        Assert.DoesNotContain(ScriptedScorer.Calls[id], c => c.Silo == coordinator);
        Assert.Contains(ScriptedScorer.Calls[id], c => c.Silo == first.SiloAddress);
    }
}
