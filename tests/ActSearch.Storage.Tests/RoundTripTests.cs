using ActSearch.Expressions;

namespace ActSearch.Storage.Tests;

public sealed class RoundTripTests(PostgresServer server) : DatabaseTest(server)
{
    [Fact]
    public async Task Job_round_trips_with_every_field()
    {
        var job = Samples.Job() with { StartedAt = Samples.Created.AddMinutes(1), FinishedAt = Samples.Created.AddHours(1), Error = "boom", Status = JobStatus.Failed };
        await Storage.Jobs.CreateAsync(job);

        Assert.Equal(job, await Storage.Jobs.GetAsync(job.Id));
    }

    [Fact]
    public async Task Job_without_budget_or_timestamps_round_trips()
    {
        var job = Samples.Job() with { Budget = new JobBudget(), Seed = 0 };
        await Storage.Jobs.CreateAsync(job);

        Assert.Equal(job, await Storage.Jobs.GetAsync(job.Id));
    }

    [Fact]
    public async Task Job_status_moves_stamp_start_and_end()
    {
        var job = Samples.Job();
        await Storage.Jobs.CreateAsync(job);

        Assert.True(await Storage.Jobs.SetStatusAsync(job.Id, JobStatus.Running));
        var running = await Storage.Jobs.GetAsync(job.Id);
        Assert.Equal(JobStatus.Running, running!.Status);
        Assert.NotNull(running.StartedAt);
        Assert.Null(running.FinishedAt);

        Assert.True(await Storage.Jobs.SetStatusAsync(job.Id, JobStatus.Finished));
        var finished = await Storage.Jobs.GetAsync(job.Id);
        Assert.Equal(running.StartedAt, finished!.StartedAt);
        Assert.NotNull(finished.FinishedAt);
        Assert.False(await Storage.Jobs.SetStatusAsync(Guid.NewGuid(), JobStatus.Running));
    }

    [Fact]
    public async Task Jobs_list_newest_first_and_filter_by_status()
    {
        var older = Samples.Job(name: "older");
        var newer = Samples.Job(name: "newer") with { CreatedAt = Samples.Created.AddDays(1), Status = JobStatus.Running };
        await Storage.Jobs.CreateAsync(older);
        await Storage.Jobs.CreateAsync(newer);

        Assert.Equal(["newer", "older"], (await Storage.Jobs.ListAsync()).Select(j => j.Name));
        Assert.Equal(["newer"], (await Storage.Jobs.ListAsync(JobStatus.Running)).Select(j => j.Name));
    }

    [Fact]
    public async Task Candidates_round_trip_with_exact_genomes()
    {
        var job = await Samples.NewJobAsync(Storage);
        CandidateRecord[] candidates =
        [
            Samples.Candidate(job, 0, "x * sigmoid(1.702 * x)"),
            Samples.Candidate(job, 1, "max(x, 0.1 * x) + 1e-300", generation: 1, 0),
            Samples.Candidate(job, 2, "x / sqrt(square(x) + 1)", generation: 1, 0, 1),
        ];
        await Storage.Candidates.AddAsync(candidates);

        var back = await Storage.Candidates.ListAsync(job);
        Assert.Equal(candidates, back);
        foreach (var (written, read) in candidates.Zip(back))
        {
            Assert.Equal(written.Genome(), read.Genome());
            Assert.Equal(written.Fingerprint, Fingerprint.Of(read.Genome()));
        }
        Assert.Equal([candidates[1], candidates[2]], await Storage.Candidates.ListAsync(job, generation: 1));
        Assert.Equal(candidates[2], await Storage.Candidates.GetAsync(job, 2));
        Assert.Null(await Storage.Candidates.GetAsync(job, 99));
    }

    [Fact]
    public async Task Every_outcome_kind_and_scores_round_trip()
    {
        var job = await Samples.NewJobAsync(Storage);
        await Storage.Candidates.AddAsync([.. Enumerable.Range(0, 5).Select(i => Samples.Candidate(job, i, $"x + {i}"))]);
        OutcomeRecord[] outcomes =
        [
            new OutcomeRecord.Evaluated(job, 0, TimeSpan.FromSeconds(12.3456789)),
            new OutcomeRecord.Rejected(job, 1, "quality", "accuracy 0.12 < 0.20 after 100 steps", TimeSpan.FromMilliseconds(830)),
            new OutcomeRecord.Failed(job, 2, "CUDA out of memory", TimeSpan.FromSeconds(1)),
            new OutcomeRecord.Cancelled(job, 3, TimeSpan.Zero),
            new OutcomeRecord.Rejected(job, 4, "numeric", "NaN at x = 0", TimeSpan.Zero) { Cached = true }, // copied from a twin
        ];
        ScoreRecord[] scores =
        [
            Samples.Score(job, 0, 0.91),
            Samples.Score(job, 0, 1.25e6, "flops", null),
            Samples.Score(job, 0, double.NaN, "loss", "cifar10-resnet") with { Seed = -3 },
        ];
        await Storage.Candidates.AddResultsAsync(outcomes, scores);

        Assert.Equal(outcomes, await Storage.Candidates.OutcomesAsync(job));
        var back = await Storage.Candidates.ScoresAsync(job, 0);
        Assert.Equal(scores.OrderBy(s => s.Objective, StringComparer.Ordinal), back);
        Assert.Equal(
            [("cancelled", null, 1L), ("evaluated", null, 1L), ("failed", null, 1L), ("rejected", "numeric", 1L), ("rejected", "quality", 1L)],
            await Storage.Candidates.FunnelAsync(job));
    }

    [Fact]
    public async Task Front_snapshot_round_trips_and_a_resave_replaces_it()
    {
        var job = await Samples.NewJobAsync(Storage);
        await Storage.Candidates.AddAsync([Samples.Candidate(job, 0), Samples.Candidate(job, 1, "x")]);
        var front = new FrontSnapshot(job, 3, ["accuracy", "complexity"],
            [new FrontMember(0, [0.91, 4]), new FrontMember(1, [0.85, double.PositiveInfinity])]);
        await Storage.Fronts.SaveAsync(front);
        await Storage.Fronts.SaveAsync(front with { Generation = 4, Members = [] });
        var replaced = front with { Members = [new FrontMember(1, [0.5, 1])] };
        await Storage.Fronts.SaveAsync(replaced);

        Assert.Equal(replaced, await Storage.Fronts.GetAsync(job, 3));
        Assert.Equal(front with { Generation = 4, Members = [] }, await Storage.Fronts.LatestAsync(job));
    }

    [Fact]
    public async Task Checkpoints_round_trip_and_the_latest_wins()
    {
        var job = await Samples.NewJobAsync(Storage);
        var first = new Checkpoint(job, 1, """{"generation":1,"rng":["18446744073709551615"]}""", [ulong.MaxValue, 0, 1, 0x8000_0000_0000_0000UL]);
        var second = first with { Generation = 2, EngineStateJson = """{"generation": 2, "x": 1.0000000000000002}""" };
        await Storage.Checkpoints.SaveAsync(first);
        await Storage.Checkpoints.SaveAsync(second);

        Assert.Equal(second, await Storage.Checkpoints.LatestAsync(job));
        Assert.Equal(first, await Storage.Checkpoints.GetAsync(job, 1));
        Assert.Equal(1, await Storage.Checkpoints.PruneAsync(job, keep: 1));
        Assert.Null(await Storage.Checkpoints.GetAsync(job, 1));
    }

    [Fact]
    public async Task Catalog_entry_round_trips()
    {
        var job = await Samples.NewJobAsync(Storage);
        var c = Samples.Candidate(job, 5, "x * sigmoid(x)");
        await Storage.Candidates.AddAsync([c]);
        await Storage.Catalog.RecordAsync([new CatalogObservation(c.Fingerprint, c.Formula, job, 5,
            [new ObservedScore("accuracy", "fmnist-cnn", 0.9, ScoreGoal.Maximize), new ObservedScore("flops", null, 3, ScoreGoal.Minimize)])]);

        var entry = await Storage.Catalog.GetAsync(c.Fingerprint);
        Assert.NotNull(entry);
        Assert.Equal((c.Fingerprint, c.Formula, job, job, 1), (entry.Fingerprint, entry.Formula, entry.FirstJob, entry.LatestJob, entry.TimesSeen));
        Assert.Equal(entry.FirstSeen, entry.LastSeen);
        Assert.Equal(
            [new CatalogScore("accuracy", "fmnist-cnn", 0.9, ScoreGoal.Maximize, job, 5), new CatalogScore("flops", null, 3, ScoreGoal.Minimize, job, 5)],
            entry.BestScores.ToArray());
        Assert.Null(await Storage.Catalog.GetAsync(new Fingerprint(42)));
    }

    [Fact]
    public async Task A_whole_generation_is_written_as_one_batch()
    {
        var job = await Samples.NewJobAsync(Storage);
        var c = Samples.Candidate(job, 0);
        await Storage.WriteAsync(new StorageBatch
        {
            Candidates = [c],
            Outcomes = [new OutcomeRecord.Evaluated(job, 0, TimeSpan.FromSeconds(2))],
            Scores = [Samples.Score(job, 0, 0.9)],
            Front = new FrontSnapshot(job, 0, ["accuracy"], [new FrontMember(0, [0.9])]),
            Checkpoint = new Checkpoint(job, 0, "{}", [1, 2, 3, 4]),
            Catalog = [new CatalogObservation(c.Fingerprint, c.Formula, job, 0, [new ObservedScore("accuracy", "fmnist-cnn", 0.9, ScoreGoal.Maximize)])],
        });

        Assert.Single(await Storage.Candidates.ListAsync(job));
        Assert.Single(await Storage.Candidates.OutcomesAsync(job));
        Assert.Single(await Storage.Candidates.ScoresAsync(job));
        Assert.NotNull(await Storage.Fronts.LatestAsync(job));
        Assert.NotNull(await Storage.Checkpoints.LatestAsync(job));
        Assert.NotNull(await Storage.Catalog.GetAsync(c.Fingerprint));
    }
}
