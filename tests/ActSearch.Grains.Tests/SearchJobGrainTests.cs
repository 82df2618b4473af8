using ActSearch.Evolution;

namespace ActSearch.Grains.Tests;

/// <summary>The job lifecycle on a real cluster: one coordinator-only silo and two worker silos.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SearchJobGrainTests(ClusterFixture fixture)
{
    private ISearchJobGrain NewJob(out Guid id, Script? script = null)
    {
        id = Guid.NewGuid();
        if (script is not null) ScriptedScorer.Scripts[id] = script;
        return fixture.Client.GetGrain<ISearchJobGrain>(id);
    }

    [Fact]
    public async Task A_job_runs_to_its_evaluation_budget_and_every_dispatched_candidate_has_exactly_one_outcome()
    {
        var job = NewJob(out var id);
        var submitted = await job.Submit(TestSpaces.Spec(budget: 40));
        Assert.Equal(JobState.Running, submitted.State);

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Finished, done.State);
        Assert.Null(done.Error);
        Assert.Equal(40, done.Scored);
        Assert.Equal(0, done.InFlight);
        Assert.NotNull(done.FinishedAt);
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        // Every candidate the engine made has one outcome: scored by a worker, answered from the cache, or cancelled.
        Assert.Equal(done.Scored + done.CacheHits, outcomes.Count(o => o.Outcome is not CandidateOutcome.Cancelled));
        Assert.Equal(outcomes.Count, outcomes.Select(o => o.Candidate.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id).Order());
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
        var scoredIds = ScriptedScorer.Calls[id].Select(c => c.Candidate).Distinct().ToHashSet();
        Assert.Subset(outcomes.Select(o => o.Candidate.Id).ToHashSet(), scoredIds);
        Assert.Equal(done.Scored, scoredIds.Count);
        // Outcomes copied from a twin are marked, and exactly those never reached a scorer.
        Assert.Equal(done.CacheHits, outcomes.Count(o => o.Cached));
        Assert.Equal(scoredIds, outcomes.Where(o => !o.Cached && o.Outcome is not CandidateOutcome.Cancelled).Select(o => o.Candidate.Id).ToHashSet());

        Assert.Equal(["loss@regression", "complexity"], done.Objectives.AsEnumerable());
        Assert.NotEmpty(done.Front);
        Assert.All(done.Front, f => Assert.Equal(2, f.Objectives.Length));
        Assert.Equal(done.Front.Min(f => f.Objectives[0]), done.BestPerObjective["loss@regression"].Objectives[0]);
        Assert.True(done.Generation >= 3, $"generation {done.Generation}");
        Assert.NotNull(await fixture.Store.LoadLatestCheckpointAsync(id));
    }

    [Fact]
    public async Task A_job_whose_candidates_all_fail_for_one_reason_stops_with_that_reason()
    {
        const string Reason = "DirectoryNotFoundException: No data folder found";
        var job = NewJob(out var id, new Script { FailAll = Reason });
        await job.Submit(TestSpaces.Spec(budget: 40));

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Failed, done.State);
        Assert.Equal($"5 candidates in a row failed with the same error, so the job stopped: {Reason}", done.Error);
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.True(outcomes.Count(o => o.Outcome is CandidateOutcome.Failed) < 40, "it stopped long before its budget");
        Assert.Equal(outcomes.Count, outcomes.Select(o => o.Candidate.Id).Distinct().Count()); // still one outcome each
    }

    [Fact]
    public async Task Evaluations_run_only_on_worker_silos_and_spread_over_them()
    {
        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(20) });
        await job.Submit(TestSpaces.Spec(budget: 24));
        await job.UntilFinal();

        var silos = ScriptedScorer.Calls[id].Select(c => c.Silo).Distinct().ToList();
        Assert.DoesNotContain(fixture.Coordinator, silos);
        Assert.All(silos, s => Assert.Contains(s, fixture.Workers));
        Assert.Equal(2, silos.Count); // free-slot placement uses both workers when the job keeps all slots busy
    }

    [Fact]
    public async Task Evaluation_workers_called_directly_are_placed_on_worker_silos_only()
    {
        var space = SearchSpaces.SearchSpaceLoader.LoadFromText(TestSpaces.Regression, TestSpaces.FileName);
        var candidates = new EvolutionEngine(space.Evolution, 3).Ask(8);
        var jobId = Guid.NewGuid(); // no such job: the reports are ignored

        foreach (var c in candidates)
        {
            var accepted = await fixture.Client.GetGrain<IEvaluationWorkerGrain>(EvaluationKey.For(jobId, c, 0))
                .Evaluate(new EvaluationRequest(jobId, 0, c, TestSpaces.Regression, TestSpaces.FileName, 3));
            Assert.Contains(accepted.Silo, fixture.Workers);
            Assert.Equal(ClusterFixture.SlotsPerWorker, accepted.Load.Slots);
        }
        await Waiting.Until(() => ScriptedScorer.Calls.TryGetValue(jobId, out var calls) && calls.Count == candidates.Count, "every candidate was scored");
        Assert.DoesNotContain(ScriptedScorer.Calls[jobId], c => c.Silo == fixture.Coordinator);
    }

    /// <summary>
    /// A steady-state job that resumes breeds the candidates in flight at its stop again under their ids, from the
    /// population as it stands then: the worker activation that still holds the first genome (waiting to report it, or
    /// done) must not answer for the second one, or the job waits for that candidate until its deadline (30 minutes).
    /// </summary>
    [Fact]
    public async Task Another_genome_under_the_same_candidate_id_and_attempt_is_scored_afresh()
    {
        var space = SearchSpaces.SearchSpaceLoader.LoadFromText(TestSpaces.Regression, TestSpaces.FileName);
        var candidates = new EvolutionEngine(space.Evolution, 3).Ask(8);
        var first = candidates[0];
        var bredAgain = candidates.First(c => c.Fingerprint != first.Fingerprint) with { Id = first.Id };
        var jobId = Guid.NewGuid(); // no such job: the reports are ignored, and the first activation stays until it gives up

        await fixture.Client.GetGrain<IEvaluationWorkerGrain>(EvaluationKey.For(jobId, first, 0))
            .Evaluate(new EvaluationRequest(jobId, 0, first, TestSpaces.Regression, TestSpaces.FileName, 3));
        await Waiting.Until(() => ScriptedScorer.Calls.TryGetValue(jobId, out var calls) && calls.Count == 1, "the first genome was scored");
        await fixture.Client.GetGrain<IEvaluationWorkerGrain>(EvaluationKey.For(jobId, bredAgain, 0))
            .Evaluate(new EvaluationRequest(jobId, 0, bredAgain, TestSpaces.Regression, TestSpaces.FileName, 3));

        await Waiting.Until(() => ScriptedScorer.Calls[jobId].Count == 2, "the genome bred again under the same id was scored too");
        Assert.All(ScriptedScorer.Calls[jobId], c => Assert.Equal(first.Id, c.Candidate));
        Assert.NotEqual(EvaluationKey.For(jobId, first, 0), EvaluationKey.For(jobId, bredAgain, 0));
        Assert.Equal(EvaluationKey.For(jobId, first, 0), EvaluationKey.For(jobId, first with { Generation = 9 }, 0)); // the same genome bred again: its outcome counts
    }

    [Fact]
    public async Task Pause_stops_dispatching_and_resume_finishes_the_budget()
    {
        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(30) });
        await job.Submit(TestSpaces.Spec(budget: 40));
        await job.Until(s => s.Scored >= 8);

        var paused = await job.Pause();
        Assert.Equal(JobState.Paused, paused.State);
        var drained = await job.Until(s => s.InFlight == 0); // candidates already at workers still come back
        Assert.Equal(JobState.Paused, drained.State);
        int calls = ScriptedScorer.Calls[id].Count;
        Assert.Equal(drained.Scored, (await job.GetStatus()).Scored);
        Assert.Equal(calls, ScriptedScorer.Calls[id].Count);

        Assert.Equal(JobState.Running, (await job.Resume()).State);
        var done = await job.UntilFinal();
        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(40, done.Scored);
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
    }

    [Fact]
    public async Task Cancel_ends_the_candidates_in_flight_cancelled_and_ignores_their_late_reports()
    {
        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(150) });
        await job.Submit(TestSpaces.Spec(budget: 1000));
        await job.Until(s => s.Scored >= 4 && s.InFlight > 0);

        var cancelled = await job.Cancel();

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(0, cancelled.InFlight);
        Assert.True(cancelled.Cancelled > 0);
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.Equal(outcomes.Count, outcomes.Select(o => o.Candidate.Id).Distinct().Count());
        Assert.Contains(outcomes, o => o.Outcome is CandidateOutcome.Cancelled);

        await Waiting.Until(() => ScriptedScorer.Active(id) == 0, "the workers are done with the job");
        var after = await job.GetStatus();
        Assert.Equal(cancelled.Scored, after.Scored);
        Assert.Equal(outcomes.Count, (await fixture.Store.LoadOutcomesAsync(id)).Count);
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
        Assert.Equal(JobState.Cancelled, (await job.Resume()).State); // final states stay
    }

    [Fact]
    public async Task A_swallowed_candidate_is_dispatched_again_after_its_deadline_and_ends_with_one_outcome()
    {
        const long swallowed = 5;
        var job = NewJob(out var id, new Script { SwallowOnce = swallowed });
        await job.Submit(TestSpaces.Spec(budget: 32));

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(32, done.Scored);
        Assert.True(done.Redispatched >= 1);
        Assert.Equal(2, ScriptedScorer.Calls[id].Count(c => c.Candidate == swallowed));
        var outcome = Assert.Single(await fixture.Store.LoadOutcomesAsync(id), o => o.Candidate.Id == swallowed);
        Assert.IsNotType<CandidateOutcome.Failed>(outcome.Outcome);
        Assert.IsNotType<CandidateOutcome.Cancelled>(outcome.Outcome);
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
    }

    [Fact]
    public async Task In_generations_the_same_seed_gives_the_same_front()
    {
        var first = NewJob(out _);
        var second = NewJob(out _, new Script { Delay = TimeSpan.FromMilliseconds(3) }); // other timing, same search
        await first.Submit(TestSpaces.Generational(budget: 48, seed: 11));
        await second.Submit(TestSpaces.Generational(budget: 48, seed: 11));

        var a = await first.UntilFinal();
        var b = await second.UntilFinal();

        Assert.Equal(Describe(a), Describe(b));
        Assert.Equal(a.Scored, b.Scored);
        Assert.Equal(11UL, a.Seed);
    }

    [Fact]
    public async Task A_generational_job_whose_grain_is_deactivated_mid_run_resumes_from_its_checkpoint_and_ends_with_the_uninterrupted_front()
    {
        var reference = NewJob(out _);
        await reference.Submit(TestSpaces.Generational(budget: 56, seed: 5));
        var expected = await reference.UntilFinal();

        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(60) });
        await job.Submit(TestSpaces.Generational(budget: 56, seed: 5));
        await job.Until(s => s.Generation >= 2 && s.InFlight > 0);
        await Waiting.Until(() => OutcomesAfterCheckpoint(id) > 0, "an outcome is recorded after the latest checkpoint");
        await fixture.Cluster.DeactivateAsync(job); // as if its coordinator went away: in-memory state is lost

        var done = await job.UntilFinal(); // the call activates it again; it resumes from the store

        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(56, done.Scored);
        Assert.Equal(expected.Scored, done.Scored);
        Assert.Equal(expected.CacheHits, done.CacheHits);
        Assert.Equal(Describe(expected), Describe(done));
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.Equal(outcomes.Count, outcomes.Select(o => o.Candidate.Id).Distinct().Count());
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
    }

    [Fact]
    public async Task A_steady_state_job_reactivated_replays_its_recorded_outcomes_to_the_state_it_had()
    {
        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(40) });
        // Generations of 40 children: the checkpoint after the initial population is the latest one while this runs.
        var spec = TestSpaces.Spec(budget: 80, seed: 5);
        await job.Submit(spec with { SpaceYaml = spec.SpaceYaml.Replace("offspring_per_generation: 8", "offspring_per_generation: 40", StringComparison.Ordinal) });
        await job.Until(s => s.Generation >= 1 && s.Scored >= 28);
        await job.Pause();
        var before = await job.Until(s => s.InFlight == 0); // paused: what was out has come back and is recorded
        Assert.Equal(1, before.Generation);
        Assert.True(OutcomesAfterCheckpoint(id) >= 10, "the state after the checkpoint is rebuilt from recorded outcomes");
        await fixture.Cluster.DeactivateAsync(job);

        var after = await job.GetStatus(); // activates it again: checkpoint, then the outcomes after it in recorded order
        Assert.Equal(JobState.Paused, after.State);
        Assert.Equal(Describe(before), Describe(after));
        Assert.Equal((before.Scored, before.CacheHits, before.Evaluated, before.Rejected, before.Generation),
            (after.Scored, after.CacheHits, after.Evaluated, after.Rejected, after.Generation));

        await job.Resume();
        var done = await job.UntilFinal();
        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(80, done.Scored);
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id));
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
        var trained = ScriptedScorer.Calls[id].Select(c => c.Candidate).ToList();
        Assert.Equal(trained.Count, trained.Distinct().Count()); // nothing trained twice
    }

    [Fact]
    public async Task A_steady_state_job_deactivated_with_candidates_out_breeds_them_again_and_ends_with_one_outcome_each()
    {
        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(60) });
        await job.Submit(TestSpaces.Spec(budget: 56, seed: 5));
        await job.Until(s => s.Generation >= 2 && s.InFlight > 0);
        await Waiting.Until(() => OutcomesAfterCheckpoint(id) > 0, "an outcome is recorded after the latest checkpoint");
        await fixture.Cluster.DeactivateAsync(job);

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(56, done.Scored);
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id));
        Assert.Equal(done.Scored + done.Cancelled + done.CacheHits, outcomes.Count);
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
    }

    [Fact]
    public async Task A_job_with_fidelity_rungs_promotes_its_best_and_ends_with_one_outcome_per_candidate_and_rung_through_a_reactivation()
    {
        var job = NewJob(out var id, new Script { Delay = TimeSpan.FromMilliseconds(20) });
        var spec = TestSpaces.Spec(budget: 60, seed: 3);
        await job.Submit(spec with { SpaceYaml = spec.SpaceYaml + "\nfidelity:\n  rungs: [{steps: 100}, {steps: 200}, {steps: 400}]\n" });
        var running = await job.Until(s => s.Rungs.Length == 3 && s.Rungs[1].Scored >= 2);
        Assert.Equal("200 steps", running.Rungs[1].Training);
        await fixture.Cluster.DeactivateAsync(job); // resumes by replaying outcomes of both rungs

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(60, done.Scored); // the budget counts candidates at the lowest rung
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.Equal(outcomes.Count, outcomes.Select(o => (o.Candidate.Id, o.Candidate.Rung)).Distinct().Count());
        Assert.Equal(0, fixture.Store.DuplicateOutcomes);
        var evaluatedAt = outcomes.Where(o => o.Outcome is CandidateOutcome.Evaluated).Select(o => (o.Candidate.Id, o.Candidate.Rung)).ToHashSet();
        Assert.All(outcomes.Where(o => o.Candidate.Rung > 0), o => Assert.Contains((o.Candidate.Id, o.Candidate.Rung - 1), evaluatedAt));
        for (int r = 0; r < 2; r++)
        {
            long evaluated = outcomes.Count(o => o.Candidate.Rung == r && o.Outcome is CandidateOutcome.Evaluated && !o.Cached);
            Assert.Equal(evaluated, done.Rungs[r].Evaluated);
            Assert.InRange(done.Rungs[r].Promoted, evaluated / 3, evaluated);
            Assert.Equal(done.Rungs[r].Promoted, outcomes.Count(o => o.Candidate.Rung == r + 1));
        }
        Assert.True(done.Rungs[2].Evaluated > 0);
        Assert.All(done.Front, f => Assert.Equal(2, f.Rung)); // the front is the highest rung's
    }

    [Fact]
    public async Task A_rung_whose_promotions_all_fail_stops_the_job_although_the_lowest_rung_keeps_training()
    {
        const string Reason = "DirectoryNotFoundException: The full Fashion-MNIST is not installed";
        var job = NewJob(out var id, new Script { FailAll = Reason, FailAtRung = 1 });
        var spec = TestSpaces.Spec(budget: 400, seed: 3);
        await job.Submit(spec with { SpaceYaml = spec.SpaceYaml + "\nfidelity:\n  rungs: [{steps: 100}, {steps: 200}]\n" });

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Failed, done.State);
        Assert.Equal($"5 promotions to fidelity rung 1 in a row failed with the same error, so the job stopped: {Reason}", done.Error);
        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        Assert.True(outcomes.Count(o => o.Candidate.Rung == 0 && o.Outcome is CandidateOutcome.Evaluated) > 5, "the lowest rung trained in between");
        Assert.True(done.Scored < 400, "it stopped long before its budget");
    }

    [Fact]
    public async Task A_wall_time_budget_ends_the_job()
    {
        var job = NewJob(out _, new Script { Delay = TimeSpan.FromMilliseconds(40) });
        await job.Submit(TestSpaces.Spec(budget: 100_000, wallTime: TimeSpan.FromSeconds(1)));

        var done = await job.UntilFinal();

        Assert.Equal(JobState.Finished, done.State);
        Assert.InRange(done.Scored, 1, 1000);
        Assert.InRange(done.RunningTime, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        Assert.InRange(done.FinishedAt!.Value - done.StartedAt!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task An_invalid_search_space_is_refused_with_its_position()
    {
        var job = NewJob(out _);
        var spec = TestSpaces.Spec() with { SpaceYaml = TestSpaces.Regression.Replace("population: 16", "popluation: 16", StringComparison.Ordinal) };

        var error = await Assert.ThrowsAsync<InvalidJobException>(() => job.Submit(spec));

        // The problems cross the grain boundary as items with their positions, not as one joined string.
        var problem = Assert.Single(error.Problems);
        Assert.Equal("grains-test.yaml", problem.File);
        Assert.True(problem.Line > 0 && problem.Column > 0, problem.ToString());
        Assert.Contains("popluation", problem.Message, StringComparison.Ordinal);
        Assert.StartsWith($"grains-test.yaml:{problem.Line}:{problem.Column}: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Unknown(job.GetPrimaryKey()).State, (await job.GetStatus()).State);
    }

    [Fact]
    public async Task A_budget_that_is_not_positive_is_refused_as_a_problem_without_a_position()
    {
        var job = NewJob(out _);
        var error = await Assert.ThrowsAsync<InvalidJobException>(() => job.Submit(TestSpaces.Spec() with { BudgetEvaluations = 0 }));
        Assert.Equal("The evaluation budget must be positive.", Assert.Single(error.Problems).ToString());
    }

    [Fact]
    public async Task Submitting_the_same_spec_twice_is_harmless_and_another_spec_is_refused()
    {
        var job = NewJob(out _, new Script { Delay = TimeSpan.FromMilliseconds(20) });
        await job.Submit(TestSpaces.Spec(budget: 16));
        Assert.Equal(JobState.Running, (await job.Submit(TestSpaces.Spec(budget: 16))).State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => job.Submit(TestSpaces.Spec(budget: 17)));
        await job.UntilFinal();
    }

    [Fact]
    public async Task An_observer_hears_progress_until_the_job_ends()
    {
        var job = NewJob(out _);
        var observer = new RecordingObserver();
        var reference = fixture.Client.CreateObjectReference<IJobObserver>(observer);
        await job.Subscribe(reference);

        await job.Submit(TestSpaces.Spec(budget: 32));
        var last = await observer.Final.Task.WaitAsync(Waiting.Default);

        Assert.Equal(JobState.Finished, last.State);
        // One-way notifications may arrive in any order: the progress ones may come after the final one.
        await Waiting.Until(() => observer.Seen.Any(s => s.State == JobState.Running && s.Generation >= 1), "a generation's progress arrives");
        await job.Unsubscribe(reference);
        fixture.Client.DeleteObjectReference<IJobObserver>(reference);
    }

    /// <summary>Outcomes the job recorded after its latest checkpoint: a resumed job must reuse them, not score them again.</summary>
    private int OutcomesAfterCheckpoint(Guid id)
    {
        var checkpoint = fixture.Store.LoadLatestCheckpointAsync(id).GetAwaiter().GetResult();
        long next = checkpoint is null ? 0 : EngineState.FromJson(checkpoint.EngineStateJson).NextCandidateId;
        return fixture.Store.LoadOutcomesAsync(id, next).GetAwaiter().GetResult().Count;
    }

    private static string Describe(JobStatus s) => string.Join("\n", s.Front.Select(f =>
        $"{f.CandidateId} {f.Formula} {string.Join(" ", f.Objectives.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}"));

    private sealed class RecordingObserver : IJobObserver
    {
        public System.Collections.Concurrent.ConcurrentQueue<JobStatus> Seen { get; } = new();

        public TaskCompletionSource<JobStatus> Final { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task OnJobChanged(JobStatus status)
        {
            Seen.Enqueue(status);
            if (status.IsFinal) Final.TrySetResult(status);
            return Task.CompletedTask;
        }
    }
}

public sealed class PublicErrorTests
{
    [Fact]
    public void A_storage_failure_reaches_the_jobs_public_error_without_its_connection_details()
    {
        var error = SearchJobGrain.PublicError(new ActSearch.Storage.StorageException("cannot reach socket /home/alice/.local/share/actsearch/postgres as alice"));
        Assert.DoesNotContain("alice", error, StringComparison.Ordinal);
        Assert.DoesNotContain("/", error, StringComparison.Ordinal);
        Assert.Equal("InvalidOperationException: boom", SearchJobGrain.PublicError(new InvalidOperationException("boom")));
    }
}
