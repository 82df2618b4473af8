using System.Collections.Immutable;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.Grains;
using ActSearch.Grains.Tests;
using GrainJob = ActSearch.Grains.JobRecord;
using GrainState = ActSearch.Grains.JobState;

namespace ActSearch.Storage.Tests;

/// <summary>The <see cref="IJobStore"/> contract, run against PostgreSQL: each test gets its own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJobStoreTests(PostgresServer server) : JobStoreContract, IAsyncLifetime
{
    private TestDatabase _database = null!;
    private ActSearchStorage _storage = null!;

    protected override IJobStore CreateStore() => new PostgresJobStore(_storage);

    public async Task InitializeAsync()
    {
        _database = await server.CreateDatabaseAsync();
        _storage = await _database.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>What the contract does not cover: how the store's records land in the schema and the catalog.</summary>
public sealed class PostgresJobStoreMappingTests(PostgresServer server) : DatabaseTest(server)
{
    // Accuracy on a task (maximize), loss on it (minimize), complexity (minimize, not per task).
    private const string Space = """
        name: catalog-test
        kind: activation
        seed: 11
        tasks: [fmnist-cnn]
        genome:
          representation: tree
          unary: [neg, exp, tanh, sigmoid]
          binary: [add, sub, mul, div]
          constants: [0.5, 1, 2]
          max_nodes: 15
          max_depth: 6
        evolution:
          strategy: regularized
          population: 16
          tournament: 4
          offspring_per_generation: 8
        objectives: [accuracy@fmnist-cnn, loss@fmnist-cnn, complexity]
        budget:
          evaluations: 48
        """;

    private static readonly DateTimeOffset Created = new(2025, 3, 1, 12, 30, 15, 123, TimeSpan.Zero);

    private static JobSpec Spec(ulong? seed = null, int? budget = null, TimeSpan? wallTime = null) =>
        new(Space, "catalog-test.yaml", "catalog job", "bob", seed, budget, wallTime);

    private static Candidate Candidate(long id, string formula, int generation = 0, params long[] parents)
    {
        var genome = ExprParser.Parse(formula);
        return new Candidate(id, genome, generation, [.. parents], parents.Length == 0 ? "init" : "mutate", Fingerprint.Of(genome));
    }

    /// <summary>What the job grain passes the store with every save: the spec resolved against its space.</summary>
    private static ResolvedJob Resolved(JobSpec spec) => ResolvedJob.Of(JobSpecs.Load(spec));

    private async Task<(PostgresJobStore Store, Guid Job)> NewJobAsync(JobSpec? spec = null)
    {
        var store = new PostgresJobStore(Storage);
        var id = Guid.NewGuid();
        spec ??= Spec();
        await store.SaveJobAsync(new GrainJob(id, spec, GrainState.Running, Created, Created), Resolved(spec));
        return (store, id);
    }

    [Fact]
    public async Task The_jobs_objectives_and_their_directions_are_stored_with_it_and_with_every_front()
    {
        var (store, job) = await NewJobAsync();
        var row = (await Storage.Jobs.GetAsync(job))!;
        Assert.Equal([new StoredObjective("accuracy@fmnist-cnn", true), new StoredObjective("loss@fmnist-cnn", false), new StoredObjective("complexity", false)],
            row.Objectives.ToArray());

        Objective[] objectives =
            [new("accuracy", ObjectiveDirection.Maximize, "fmnist-cnn"), new("loss", ObjectiveDirection.Minimize, "fmnist-cnn"), new("complexity", ObjectiveDirection.Minimize)];
        await store.SaveFrontAsync(job, 0, [.. objectives], [new FrontEntry(0, 0, ExprParser.Parse("x"), "x", [0.8, 0.5, 1])]);
        var front = (await Storage.Fronts.LatestAsync(job))!;
        Assert.Equal(["accuracy@fmnist-cnn", "loss@fmnist-cnn", "complexity"], front.Objectives.ToArray());
        Assert.Equal([true, false, false], front.Maximize.ToArray());
    }

    [Fact]
    public async Task Jobs_written_before_objectives_were_stored_get_them_once_from_their_space_when_a_coordinator_prepares()
    {
        var (store, job) = await NewJobAsync();
        var broken = Guid.NewGuid();
        await store.SaveJobAsync(new GrainJob(broken, Spec() with { SpaceYaml = "name: [" }, GrainState.Failed, Created));
        // What a version-4 database holds: no objectives on the job, no directions on its front.
        await Storage.Fronts.SaveAsync(new FrontSnapshot(job, 0, ["accuracy@fmnist-cnn", "loss@fmnist-cnn", "complexity"], [new FrontMember(0, [0.8, 0.5, 1])]));
        await using (var c = await Storage.DataSource.OpenConnectionAsync())
        await using (var cmd = new Npgsql.NpgsqlCommand("UPDATE jobs SET objectives = NULL, maximize = NULL", c))
            await cmd.ExecuteNonQueryAsync();
        Assert.Empty((await Storage.Jobs.GetAsync(job))!.Objectives);
        Assert.Equal(new[] { job, broken }.Order(), (await Storage.Jobs.ListWithoutObjectivesAsync()).Select(j => j.Id).Order());

        await new PostgresJobStore(Storage).PrepareAsync();

        var filled = (await Storage.Jobs.GetAsync(job))!;
        Assert.Equal([true, false, false], filled.Objectives.Select(o => o.Maximize).ToArray());
        var front = (await Storage.Fronts.LatestAsync(job))!;
        Assert.Equal([true, false, false], front.Maximize.ToArray());
        Assert.Empty((await Storage.Jobs.GetAsync(broken))!.Objectives); // its space does not load: left as it was
        Assert.False(await Storage.Jobs.FillObjectivesAsync(job, [new StoredObjective("complexity", true)])); // filled once only
    }

    [Fact]
    public async Task A_job_record_round_trips_exactly_with_every_field()
    {
        var store = new PostgresJobStore(Storage);
        // Sub-microsecond ticks and a non-UTC offset: PostgreSQL keeps microseconds only, the details keep the rest.
        var started = new DateTimeOffset(638_000_000_000_000_123, TimeSpan.FromHours(2));
        var job = new GrainJob(Guid.NewGuid(), Spec(seed: ulong.MaxValue, budget: 9, wallTime: TimeSpan.FromTicks(12_345_678_901)),
            GrainState.Failed, Created.AddTicks(7), started, started.AddTicks(1_234_567), "it broke", TimeSpan.FromTicks(98_765_432_101));
        await store.SaveJobAsync(job, Resolved(job.Spec));

        var loaded = await new PostgresJobStore(Storage).LoadJobAsync(job.JobId); // a fresh store: nothing cached
        Assert.Equal(job, loaded);
        Assert.Equal(job.StartedAt!.Value.UtcTicks, loaded!.StartedAt!.Value.UtcTicks);

        // The columns say what the job runs with, as the grain resolved it: overrides, and the space's values where the spec has none.
        var row = (await Storage.Jobs.GetAsync(job.JobId))!;
        Assert.Equal(("catalog job", "catalog-test", "bob", ulong.MaxValue, 9L, JobStatus.Failed, "it broke"),
            (row.Name, row.SpaceName, row.Owner, row.Seed, row.Budget.Evaluations, row.Status, row.Error));
        var plain = new GrainJob(Guid.NewGuid(), Spec(), GrainState.Queued, Created);
        await store.SaveJobAsync(plain, Resolved(plain.Spec));
        // Saved again without a resolution (as a grain whose space no longer loads would), the columns keep what they said.
        await store.SaveJobAsync(plain);
        var plainRow = (await Storage.Jobs.GetAsync(plain.JobId))!;
        Assert.Equal((11UL, 48L, (TimeSpan?)null), (plainRow.Seed, plainRow.Budget.Evaluations, plainRow.Budget.WallTime));
        Assert.Equal(plain, await store.LoadJobAsync(plain.JobId));
    }

    [Fact]
    public async Task A_final_state_is_kept_but_the_same_final_state_may_be_saved_again()
    {
        var (store, id) = await NewJobAsync();
        var finished = new GrainJob(id, Spec(), GrainState.Finished, Created, Created, Created.AddHours(1), null, TimeSpan.FromMinutes(59));
        await store.SaveJobAsync(finished);
        await store.SaveJobAsync(finished with { State = GrainState.Running, FinishedAt = null });
        await store.SaveJobAsync(finished with { State = GrainState.Failed, Error = "late" });
        Assert.Equal(finished, await store.LoadJobAsync(id));

        var again = finished with { RunningTime = TimeSpan.FromMinutes(60) };
        await store.SaveJobAsync(again);
        Assert.Equal(again, await store.LoadJobAsync(id));
        Assert.DoesNotContain(id, await store.ListUnfinishedJobsAsync());
    }

    [Fact]
    public async Task Evaluated_outcomes_fill_the_catalog_with_their_objective_values_by_direction()
    {
        var (store, job) = await NewJobAsync();
        var swish = Candidate(0, "x * sigmoid(x)");
        Assert.True(await store.RecordOutcomeAsync(job, swish, new CandidateOutcome.Evaluated([0.91, 0.30, 4])));
        // The same function again (written differently), better loss, worse accuracy: one entry seen twice, best of each kept.
        var again = Candidate(1, "sigmoid(x) * x + 0");
        Assert.Equal(swish.Fingerprint, again.Fingerprint);
        Assert.True(await store.RecordOutcomeAsync(job, again, new CandidateOutcome.Evaluated([0.88, 0.25, 6])));
        // Neither rejected nor failed nor cancelled candidates are sightings.
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(2, "tanh(x)"), new CandidateOutcome.Rejected("numeric", "NaN")));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(3, "exp(x)"), new CandidateOutcome.Failed("boom")));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(4, "x"), CandidateOutcome.Cancelled.Instance));

        var page = await Storage.Catalog.SearchAsync(null, new CatalogOrder.Recent());
        var entry = Assert.Single(page.Items);
        Assert.Equal(swish.Fingerprint, entry.Fingerprint);
        Assert.Equal(2, entry.TimesSeen);
        Assert.Equal(job, entry.FirstJob);
        Assert.Equal(new CatalogScore("accuracy", "fmnist-cnn", 0.91, ScoreGoal.Maximize, job, 0), entry.Score("accuracy", "fmnist-cnn"));
        Assert.Equal(new CatalogScore("loss", "fmnist-cnn", 0.25, ScoreGoal.Minimize, job, 1), entry.Score("loss", "fmnist-cnn"));
        Assert.Equal(new CatalogScore("complexity", null, 4, ScoreGoal.Minimize, job, 0), entry.Score("complexity"));
        Assert.Equal(3, entry.BestScores.Length);
        Assert.Equal("x * sigmoid(x)", (await Storage.Catalog.TopAsync("accuracy", "fmnist-cnn", 1))[0].Formula);

        // The job's scores hold the same values by objective and task.
        var scores = await Storage.Candidates.ScoresAsync(job, 0);
        Assert.Equal([("accuracy", "fmnist-cnn", 0.91), ("complexity", (string?)null, 4.0), ("loss", "fmnist-cnn", 0.30)],
            scores.Select(s => (s.Objective, s.Task, s.Value)));
        Assert.All(scores, s => Assert.Equal(11L, s.Seed));
    }

    [Fact]
    public async Task An_outcome_keeps_what_it_cost_so_the_funnel_can_say_where_the_time_went()
    {
        var (store, job) = await NewJobAsync();
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(0, "x * sigmoid(x)"), new CandidateOutcome.Evaluated([0.9, 0.3, 4]), TimeSpan.FromSeconds(12.5)));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(1, "log(x)"), new CandidateOutcome.Rejected("numeric", "NaN"), TimeSpan.FromMilliseconds(40)));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(2, "tanh(x)"), new CandidateOutcome.Evaluated([0.8, 0.4, 2]))); // from the cache: no cost

        var spent = (await Storage.Candidates.OutcomesAsync(job)).OrderBy(o => o.CandidateId).Select(o => o.Spent.TotalSeconds);

        Assert.Equal([12.5, 0.04, 0.0], spent);
    }

    [Fact]
    public async Task Formulas_are_stored_in_canonical_form_and_genomes_exactly_as_bred()
    {
        var (store, job) = await NewJobAsync();
        var bred = Candidate(0, "min(erf(x) - 0, sin(sqrt(0.25)) * 2)");
        Assert.True(await store.RecordOutcomeAsync(job, bred, new CandidateOutcome.Evaluated([0.9, 0.3, 4])));

        var stored = Assert.Single(await Storage.Candidates.ResultsAsync(job)).Candidate;

        Assert.Equal("min(erf(x), 0.958851077208406)", stored.Formula);
        Assert.Equal(bred.Genome, stored.Genome());
        Assert.Equal(stored.Formula, (await Storage.Catalog.GetAsync(bred.Fingerprint))!.Formula);
    }

    [Fact]
    public async Task The_catalog_stores_the_refined_genome_when_the_scorer_tuned_one()
    {
        var (store, job) = await NewJobAsync();
        var candidate = Candidate(0, "x * sigmoid(1 * x)");
        var refined = ExprParser.Parse("x * sigmoid(1.702 * x)");
        Assert.True(await store.RecordOutcomeAsync(job, candidate, new CandidateOutcome.Evaluated([0.9, 0.3, 5], refined)));

        Assert.Null(await Storage.Catalog.GetAsync(candidate.Fingerprint));
        var entry = await Storage.Catalog.GetAsync(Fingerprint.Of(refined));
        Assert.Equal(TextPrinter.Print(refined), entry!.Formula);

        // The outcome comes back with the refined genome, exactly; the candidate keeps its own.
        var recorded = Assert.Single(await store.LoadOutcomesAsync(job));
        var evaluated = Assert.IsType<CandidateOutcome.Evaluated>(recorded.Outcome);
        Assert.Equal(GraphJson.Serialize(refined), GraphJson.Serialize(evaluated.Refined!));
        Assert.Equal(GraphJson.Serialize(candidate.Genome), GraphJson.Serialize(recorded.Candidate.Genome));
    }

    [Fact]
    public async Task Candidates_and_outcomes_round_trip_exactly()
    {
        var (store, job) = await NewJobAsync();
        // Constants that printing would round, NaN and infinities among the objective values.
        var genome = ExprParser.Parse("x * sigmoid(1.7020000000000002 * x) + 0.1");
        var candidate = new Candidate(5, genome, 3, [1, 2], "crossover", Fingerprint.Of(genome));
        ImmutableArray<double> objectives = [double.NaN, double.PositiveInfinity, -0.0];
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        Assert.True(await store.RecordOutcomeAsync(job, candidate, new CandidateOutcome.Evaluated(objectives)));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(6, "tanh(x)", 3, 5), new CandidateOutcome.Rejected("stability", "gradient exploded at x=30")));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(7, "exp(x)", 3, 5), new CandidateOutcome.Failed("worker died")));
        Assert.True(await store.RecordOutcomeAsync(job, Candidate(8, "x", 3, 5), CandidateOutcome.Cancelled.Instance));

        var all = await new PostgresJobStore(Storage).LoadOutcomesAsync(job);
        Assert.Equal([5L, 6, 7, 8], all.Select(o => o.Candidate.Id));
        var first = all[0];
        Assert.Equal(GraphJson.Serialize(genome), GraphJson.Serialize(first.Candidate.Genome));
        Assert.Equal(genome, first.Candidate.Genome);
        Assert.Equal((candidate.Generation, candidate.Operator, candidate.Fingerprint), (first.Candidate.Generation, first.Candidate.Operator, first.Candidate.Fingerprint));
        Assert.Equal([1L, 2], first.Candidate.ParentIds.AsEnumerable());
        Assert.Equal(objectives.AsEnumerable(), Assert.IsType<CandidateOutcome.Evaluated>(first.Outcome).Objectives.AsEnumerable());
        Assert.Null(((CandidateOutcome.Evaluated)first.Outcome).Refined);
        Assert.Equal(new CandidateOutcome.Rejected("stability", "gradient exploded at x=30"), all[1].Outcome);
        Assert.Equal(new CandidateOutcome.Failed("worker died"), all[2].Outcome);
        Assert.Same(CandidateOutcome.Cancelled.Instance, all[3].Outcome);
        Assert.All(all, o => Assert.InRange(o.RecordedAt, before, DateTimeOffset.UtcNow.AddSeconds(5)));

        // The rejection funnel in storage sees the stage.
        Assert.Contains(("rejected", "stability", 1L), await Storage.Candidates.FunnelAsync(job));
        Assert.Equal([7L, 8], (await store.LoadOutcomesAsync(job, fromCandidateId: 7)).Select(o => o.Candidate.Id));
    }

    [Fact]
    public async Task Promotions_store_scores_per_rung_the_front_reads_the_highest_and_the_catalog_only_task_comparable_scores()
    {
        // fmnist-cnn trains 300 steps: rung 0 (100 steps) is not what the task measures, rung 1 (300 steps x 2 seeds) is.
        var (store, job) = await NewJobAsync(Spec() with
        {
            SpaceYaml = Space + "\nfidelity:\n  rungs: [{steps: 100}, {steps: 300, seeds: 2}, {steps: 900, seeds: 2}]\n",
        });
        var a = Candidate(0, "x * tanh(x)");
        var b = Candidate(1, "x * sigmoid(x)");
        Assert.True(await store.RecordOutcomeAsync(job, a, new CandidateOutcome.Evaluated([0.61, 0.9, 4]), TimeSpan.FromSeconds(2)));
        Assert.True(await store.RecordOutcomeAsync(job, b, new CandidateOutcome.Evaluated([0.66, 0.8, 4]), TimeSpan.FromSeconds(2)));
        Assert.True(await store.RecordOutcomeAsync(job, b with { Rung = 1 }, new CandidateOutcome.Evaluated([0.81, 0.5, 4]), TimeSpan.FromSeconds(9)));

        // Scores carry their rung; the evaluated view is each candidate's highest rung.
        var scores = await Storage.Candidates.ScoresAsync(job, 1);
        Assert.Equal([0, 0, 0, 1, 1, 1], scores.Select(s => s.Rung));
        var evaluated = await new BrowseQueries(Storage).EvaluatedAsync(job);
        Assert.Equal([(0L, 0, 0.61), (1L, 1, 0.81)], evaluated.Select(e => (e.CandidateId, e.Rung, e.Objectives[0])));

        // Rung 0's accuracy and loss are 100-step values: not in the catalog; complexity is. A promotion is no new sighting,
        // and its 300-step scores are not taken either (the catalog hears of a function once, at the lowest rung).
        var entry = (await Storage.Catalog.GetAsync(b.Fingerprint))!;
        Assert.Equal(1, entry.TimesSeen);
        Assert.Null(entry.Score("accuracy", "fmnist-cnn"));
        Assert.Equal(4, entry.Score("complexity", null)!.Best);

        // Tallies per rung: the funnel counts candidates at the lowest rung.
        var tally = (await new BrowseQueries(Storage).TallyAsync([job]))[job];
        Assert.Equal([(0, 2L, 4.0), (1, 1L, 9.0)], tally.Select(t => (t.Rung, t.Count, t.Seconds)));
        Assert.Equal([("evaluated", (string?)null, 2L)], await Storage.Candidates.FunnelAsync(job));
    }

    [Fact]
    public async Task A_refused_second_outcome_changes_neither_the_outcome_nor_the_catalog()
    {
        var (store, job) = await NewJobAsync();
        var c = Candidate(0, "x * tanh(x)");
        Assert.True(await store.RecordOutcomeAsync(job, c, new CandidateOutcome.Evaluated([0.5, 0.4, 4])));
        Assert.False(await store.RecordOutcomeAsync(job, c, new CandidateOutcome.Evaluated([0.99, 0.01, 4])));
        Assert.False(await store.RecordOutcomeAsync(job, c, new CandidateOutcome.Rejected("quality", "late")));

        var entry = await Storage.Catalog.GetAsync(c.Fingerprint);
        Assert.Equal(1, entry!.TimesSeen);
        Assert.Equal(0.5, entry.Score("accuracy", "fmnist-cnn")!.Best);
        var recorded = Assert.Single(await store.LoadOutcomesAsync(job));
        Assert.Equal([0.5, 0.4, 4], Assert.IsType<CandidateOutcome.Evaluated>(recorded.Outcome).Objectives.AsEnumerable());
        Assert.Equal(3, (await Storage.Candidates.ScoresAsync(job)).Count);
    }

    [Fact]
    public async Task Outcomes_and_checkpoints_before_the_job_is_saved_wait_in_a_stub_that_is_not_a_job()
    {
        var store = new PostgresJobStore(Storage);
        var id = Guid.NewGuid();
        Assert.True(await store.RecordOutcomeAsync(id, Candidate(0, "x * sigmoid(x)"), new CandidateOutcome.Evaluated([0.9, 0.2, 4])));
        await store.SaveCheckpointAsync(id, 0, "{}");
        Assert.Null(await store.LoadJobAsync(id));
        Assert.DoesNotContain(id, await store.ListUnfinishedJobsAsync());
        // Without the job's space the catalog learns the function, not what its numbers mean.
        Assert.Empty((await Storage.Catalog.GetAsync(Candidate(0, "x * sigmoid(x)").Fingerprint))!.BestScores);

        var job = new GrainJob(id, Spec(), GrainState.Running, Created, Created);
        await store.SaveJobAsync(job);
        Assert.Equal(job, await store.LoadJobAsync(id));
        Assert.Contains(id, await store.ListUnfinishedJobsAsync());
        Assert.Single(await store.LoadOutcomesAsync(id));
    }

    [Fact]
    public async Task Checkpoints_replace_a_generation_and_the_latest_is_the_highest()
    {
        var (store, job) = await NewJobAsync();
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        // Engine state JSON is kept verbatim: spacing, key order and number spelling.
        await store.SaveCheckpointAsync(job, 4, """{"b": 1.50, "a": [1e3]}""");
        await store.SaveCheckpointAsync(job, 2, "{}");
        await store.SaveCheckpointAsync(job, 4, """{"b": 2.50,  "a": []}""");
        var latest = await new PostgresJobStore(Storage).LoadLatestCheckpointAsync(job);
        Assert.Equal((job, 4, """{"b": 2.50,  "a": []}"""), (latest!.JobId, latest.Generation, latest.EngineStateJson));
        Assert.InRange(latest.SavedAt, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Null(await store.LoadLatestCheckpointAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Unfinished_jobs_survive_a_new_store_and_only_the_stores_jobs_are_listed()
    {
        var (store, running) = await NewJobAsync();
        var paused = Guid.NewGuid();
        await store.SaveJobAsync(new GrainJob(paused, Spec(), GrainState.Paused, Created));
        var other = Samples.Job(); // a job another tool wrote: no details, not the grains'
        await Storage.Jobs.CreateAsync(other);

        var fresh = new PostgresJobStore(Storage);
        var unfinished = await fresh.ListUnfinishedJobsAsync();
        Assert.Equal(new[] { running, paused }.Order(), unfinished.Order());
        Assert.Null(await fresh.LoadJobAsync(other.Id));
    }

    [Fact]
    public async Task Many_grains_recording_at_once_each_candidate_gets_one_outcome_and_one_sighting()
    {
        var (store, job) = await NewJobAsync();
        // 32 candidates, each reported 4 times at once; all of them the same function.
        var results = await Task.WhenAll(Enumerable.Range(0, 128).Select(i => Task.Run(() =>
            store.RecordOutcomeAsync(job, Candidate(i % 32, "x * sigmoid(x)"), new CandidateOutcome.Evaluated([i / 128.0, 0.5, 4])))));
        Assert.Equal(32, results.Count(r => r));
        Assert.Equal(32, (await store.LoadOutcomesAsync(job)).Count);
        Assert.Equal(32, (await Storage.Catalog.GetAsync(Candidate(0, "x * sigmoid(x)").Fingerprint))!.TimesSeen);
    }
}
