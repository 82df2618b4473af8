using ActSearch.Expressions;

namespace ActSearch.Storage.Tests;

/// <summary>What schema version 2 added for the job grains' store: job details, exact evaluated outcomes, one-call results, stubs.</summary>
public sealed class JobStoreSupportTests(PostgresServer server) : DatabaseTest(server)
{
    private static OutcomeRecord.Evaluated Evaluated(Guid job, long id) => new(job, id, TimeSpan.FromSeconds(1.5))
    {
        Objectives = [0.9, double.NaN, double.NegativeInfinity],
        RefinedGenomeJson = GraphJson.Serialize(ExprParser.Parse("x * sigmoid(1.702 * x)")),
    };

    [Fact]
    public async Task Job_details_round_trip_and_save_replaces_all_but_a_final_status()
    {
        var job = Samples.Job() with { Details = """{"b": 1.50, "a": null}""" };
        Assert.True(await Storage.Jobs.SaveAsync(job));
        Assert.Equal(job, await Storage.Jobs.GetAsync(job.Id));

        var running = job with { Status = JobStatus.Running, Name = "renamed", Details = "{}" };
        Assert.True(await Storage.Jobs.SaveAsync(running));
        Assert.Equal(running, await Storage.Jobs.GetAsync(job.Id));

        var cancelled = running with { Status = JobStatus.Cancelled };
        Assert.True(await Storage.Jobs.SaveAsync(cancelled));
        Assert.False(await Storage.Jobs.SaveAsync(cancelled with { Status = JobStatus.Running }));
        Assert.Equal(cancelled, await Storage.Jobs.GetAsync(job.Id));
        Assert.True(await Storage.Jobs.SaveAsync(cancelled with { Error = "by alice" }));
        Assert.Equal("by alice", (await Storage.Jobs.GetAsync(job.Id))!.Error);
    }

    [Fact]
    public async Task Unfinished_jobs_are_queued_running_or_paused()
    {
        var queued = Samples.Job();
        var paused = Samples.Job() with { Status = JobStatus.Paused };
        var failed = Samples.Job() with { Status = JobStatus.Failed };
        foreach (var j in new[] { queued, paused, failed }) await Storage.Jobs.SaveAsync(j);

        Assert.Equal(new[] { queued.Id, paused.Id }.Order(), (await Storage.Jobs.ListUnfinishedAsync()).Select(j => j.Id).Order());
    }

    [Fact]
    public async Task Evaluated_objectives_and_refined_genome_round_trip_through_batches_and_repeats()
    {
        var job = await Samples.NewJobAsync(Storage);
        var batch = new StorageBatch
        {
            Candidates = [Samples.Candidate(job, 0), Samples.Candidate(job, 1, "tanh(x)")],
            Outcomes = [Evaluated(job, 0), new OutcomeRecord.Evaluated(job, 1, TimeSpan.Zero)],
        };
        await Storage.WriteAsync(batch);
        await Storage.WriteAsync(batch); // a repeat goes through the staging table: nothing twice, nothing lost

        Assert.Equal(batch.Outcomes, await Storage.Candidates.OutcomesAsync(job));
    }

    [Fact]
    public async Task A_result_is_stored_once_with_its_scores_and_sighting()
    {
        var job = await Samples.NewJobAsync(Storage);
        var candidate = Samples.Candidate(job, 3, "x * sigmoid(x)", 1, 0, 1);
        var sighting = new CatalogObservation(candidate.Fingerprint, candidate.Formula, job, 3,
            [new ObservedScore("accuracy", "fmnist-cnn", 0.9, ScoreGoal.Maximize)]);
        var scores = new[] { Samples.Score(job, 3, 0.9) };

        Assert.True(await Storage.Candidates.RecordResultAsync(candidate, Evaluated(job, 3), scores, sighting));
        Assert.False(await Storage.Candidates.RecordResultAsync(candidate, new OutcomeRecord.Failed(job, 3, "late", TimeSpan.Zero), [], sighting));

        var result = Assert.Single(await Storage.Candidates.ResultsAsync(job));
        Assert.Equal(candidate, result.Candidate);
        Assert.Equal(Evaluated(job, 3), result.Outcome);
        Assert.Equal(scores, await Storage.Candidates.ScoresAsync(job));
        Assert.Equal(1, (await Storage.Catalog.GetAsync(candidate.Fingerprint))!.TimesSeen);
        Assert.Empty(await Storage.Candidates.ResultsAsync(job, fromCandidateId: 4));
    }

    [Fact]
    public async Task Without_a_job_row_a_result_fails_unless_a_stub_is_asked_for()
    {
        var job = Guid.NewGuid();
        var candidate = Samples.Candidate(job, 0);
        await Assert.ThrowsAsync<StorageException>(() =>
            Storage.Candidates.RecordResultAsync(candidate, new OutcomeRecord.Cancelled(job, 0, TimeSpan.Zero), [], null));

        Assert.True(await Storage.Candidates.RecordResultAsync(candidate, new OutcomeRecord.Cancelled(job, 0, TimeSpan.Zero), [], null, createMissingJob: true));
        await Storage.Checkpoints.SaveAsync(new Checkpoint(Guid.NewGuid(), 0, "{}", []), createMissingJob: true);
        var stub = await Storage.Jobs.GetAsync(job);
        Assert.Equal(("", "", JobStatus.Queued, (string?)null), (stub!.Name, stub.SpaceYaml, stub.Status, stub.Details));
    }
}
