using ActSearch.Grains;
using ActSearch.Storage;
using ActSearch.Storage.Tests;
using JobState = ActSearch.Grains.JobState;

namespace ActSearch.Cluster.Tests;

/// <summary>
/// The Orleans issue's promises, shown on a real cluster: separate silo processes on localhost, clustered through
/// PostgreSQL, training with TorchSharp; silos are killed with SIGKILL in the middle of a job.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FaultToleranceTests(PostgresServer server)
{
    // The regression proxy task trains in a fraction of a second, so a job of dozens of candidates takes seconds.
    private const string Space = """
        name: cluster-test
        kind: activation
        seed: 3
        tasks: [regression]
        objectives: [loss@regression, complexity]
        genome:
          representation: tree
          unary: [neg, exp, tanh, sigmoid, erf, square]
          binary: [add, sub, mul, div]
          constants: [0.5, 1, 2]
          max_nodes: 12
          max_depth: 5
        evolution:
          mode: MODE
          strategy: regularized
          population: 8
          tournament: 3
          offspring_per_generation: 4
        budget:
          evaluations: 40
        """;

    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan JobTime = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task A_worker_killed_mid_job_loses_nothing_and_every_candidate_ends_with_exactly_one_outcome()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var storage = await db.OpenAsync();
        await using var cluster = new LocalCluster(db.ConnectionString);
        await cluster.StartCoordinatorAsync();
        var doomed = await cluster.StartWorkerAsync(slots: 1);
        var survivor = await cluster.StartWorkerAsync(slots: 1, viaCli: true);
        var client = await cluster.ClientAsync();

        var jobId = Guid.NewGuid();
        var job = client.GetGrain<ISearchJobGrain>(jobId);
        await job.Submit(new JobSpec(Space.Replace("MODE", "steady_state", StringComparison.Ordinal), "cluster-test.yaml", "kill a worker", "tests", Seed: 3, BudgetEvaluations: 48));
        // Kill it while both single-slot workers hold a candidate: between generations one of them can be idle for a
        // moment (a full run under load once killed it then, and nothing was lost to redispatch).
        await cluster.WaitAsync(async () => ((await storage.Candidates.OutcomesAsync(jobId)).Count, (await job.GetStatus()).InFlight),
            v => v.Count >= 10 && v.InFlight >= 2, Startup, "the first outcomes with both workers busy", cluster.Coordinator!);
        doomed.KillHard(); // it is training a candidate (one slot)

        var stored = await cluster.WaitFinalAsync(storage, jobId, JobTime);
        var status = await job.GetStatus();

        Assert.True(stored.Status == Storage.JobStatus.Finished, $"{stored.Status}: {stored.Error}\n{cluster.Output}");
        Assert.Equal(JobState.Finished, status.State);
        Assert.Equal(48, status.Scored);
        Assert.True(status.Redispatched >= 1, $"the killed worker's candidate was dispatched again (redispatched {status.Redispatched})\n{cluster.Output}");
        var outcomes = await storage.Candidates.OutcomesAsync(jobId);
        var ids = outcomes.Select(o => o.CandidateId).Order().ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count()); // no candidate has two outcomes
        Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => (long)i), ids); // and none is missing
        Assert.Equal(status.Evaluated, outcomes.Count(o => o is OutcomeRecord.Evaluated)); // cache hits included
        Assert.Equal(status.Rejected, outcomes.Count(o => o is OutcomeRecord.Rejected));
        Assert.Equal(status.Failed, outcomes.Count(o => o is OutcomeRecord.Failed));
        Assert.Equal(status.Cancelled, outcomes.Count(o => o is OutcomeRecord.Cancelled));
        Assert.Equal(status.Scored + status.CacheHits, status.Evaluated + status.Rejected + status.Failed);
        Assert.True(outcomes.OfType<OutcomeRecord.Evaluated>().Sum(o => o.Spent.TotalSeconds) > 0, "trained candidates record what they cost");

        // The grains are split by role: the coordinator process never loads TorchSharp; a worker that trained has it mapped.
        Assert.Contains("TorchSharp", Mapped(survivor.ProcessId), StringComparison.Ordinal);
        Assert.DoesNotContain("TorchSharp", Mapped(cluster.Coordinator!.ProcessId), StringComparison.Ordinal);
    }

    /// <summary>The files a process has mapped (assemblies and native libraries among them), from /proc.</summary>
    private static string Mapped(int processId) => File.ReadAllText($"/proc/{processId}/maps");

    /// <summary>
    /// Generational: the resumed job ends with the front of an uninterrupted run of the same seed. Steady state (whose search
    /// depends on timing): it replays its recorded outcomes and ends on its budget with one outcome per candidate id.
    /// </summary>
    [Theory]
    [InlineData("generational")]
    [InlineData("steady_state")]
    public async Task A_coordinator_killed_and_restarted_mid_job_resumes_from_its_checkpoint(string mode)
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var storage = await db.OpenAsync();
        await using var cluster = new LocalCluster(db.ConnectionString);
        await cluster.StartCoordinatorAsync();
        await cluster.StartWorkerAsync(slots: 1);
        await cluster.StartWorkerAsync(slots: 1);
        var client = await cluster.ClientAsync();
        bool generational = mode == "generational";
        // Rejections end in milliseconds and count toward the budget, so a steady-state job of 40 once finished between the
        // poll that saw its second checkpoint and the kill: it gets a budget that keeps it running well past that point.
        int budget = generational ? 40 : 160;
        var spec = new JobSpec(Space.Replace("MODE", mode, StringComparison.Ordinal), "cluster-test.yaml", "restart the coordinator", "tests", Seed: 5, BudgetEvaluations: budget);

        var reference = Guid.NewGuid();
        if (generational)
        {
            await client.GetGrain<ISearchJobGrain>(reference).Submit(spec);
            var uninterrupted = await cluster.WaitFinalAsync(storage, reference, JobTime);
            Assert.True(uninterrupted.Status == Storage.JobStatus.Finished, $"{uninterrupted.Status}: {uninterrupted.Error}\n{cluster.Output}");
        }

        var jobId = Guid.NewGuid();
        await client.GetGrain<ISearchJobGrain>(jobId).Submit(spec);
        await cluster.WaitAsync(async () => (await storage.Checkpoints.LatestAsync(jobId))?.Generation ?? -1, g => g >= 2, JobTime,
            "the job's checkpoint of generation 2", cluster.Coordinator!);
        cluster.Coordinator!.KillHard();
        Assert.NotEqual(Storage.JobStatus.Finished, (await storage.Jobs.GetAsync(jobId))!.Status);
        await cluster.StartCoordinatorAsync(); // it wakes the unfinished job, which resumes from its checkpoint

        var resumed = await cluster.WaitFinalAsync(storage, jobId, JobTime);

        Assert.True(resumed.Status == Storage.JobStatus.Finished, $"{resumed.Status}: {resumed.Error}\n{cluster.Output}");
        var outcomes = await storage.Candidates.OutcomesAsync(jobId);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.CandidateId).Order());
        if (generational)
        {
            Assert.Equal(await FrontAsync(storage, reference), await FrontAsync(storage, jobId));
            Assert.Equal((await storage.Candidates.OutcomesAsync(reference)).Count, outcomes.Count);
        }
        else Assert.Equal(budget, outcomes.Count(o => o is not OutcomeRecord.Cancelled && !o.Cached)); // the budget, each scored once
    }

    /// <summary>The job's final front as text: each member's formula and objective values, in order.</summary>
    private static async Task<string> FrontAsync(ActSearchStorage storage, Guid jobId)
    {
        var front = await storage.Fronts.LatestAsync(jobId) ?? throw new InvalidOperationException($"job {jobId} has no front");
        var lines = new List<string>();
        foreach (var m in front.Members.OrderBy(m => m.CandidateId))
        {
            var candidate = await storage.Candidates.GetAsync(jobId, m.CandidateId);
            lines.Add($"{m.CandidateId} {candidate!.Formula} [{string.Join(", ", m.Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]");
        }
        return $"generation {front.Generation}\n{string.Join('\n', lines)}";
    }
}
