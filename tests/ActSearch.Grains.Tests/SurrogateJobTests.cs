using ActSearch.Evolution;

namespace ActSearch.Grains.Tests;

/// <summary>A job whose space has <c>surrogate:</c>, on the cluster: screened children recorded, predictions kept, warm start.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SurrogateJobTests(ClusterFixture fixture)
{
    private static JobSpec Screening(string extra = "", int budget = 40, ulong seed = 3) =>
        new(TestSpaces.Regression + "\nsurrogate:\n  candidates: 4\n  min_observations: 5\n" + extra, TestSpaces.FileName, "surrogate", "tests", seed, budget, null);

    [Fact]
    public async Task Screened_children_are_recorded_at_the_surrogate_stage_with_every_prediction_and_never_reach_a_worker()
    {
        var id = Guid.NewGuid();
        await fixture.Client.GetGrain<ISearchJobGrain>(id).Submit(Screening());
        var done = await fixture.Client.GetGrain<ISearchJobGrain>(id).UntilFinal();
        Assert.Equal(JobState.Finished, done.State);
        Assert.Equal(40, done.Scored);

        var outcomes = await fixture.Store.LoadOutcomesAsync(id);
        var screened = outcomes.Where(o => o.Outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage }).Select(o => o.Candidate.Id).ToHashSet();
        Assert.NotEmpty(screened);
        Assert.Equal(screened.Count, done.RejectedByStage[SurrogateOptions.Stage]);
        Assert.DoesNotContain(ScriptedScorer.Calls[id], c => screened.Contains(c.Candidate));

        var predictions = fixture.Store.Predictions(id);
        Assert.Equal(screened, predictions.Where(p => !p.Trained).Select(p => p.CandidateId).ToHashSet());
        Assert.All(predictions, p => Assert.Equal("loss@regression", p.Objective.Key));
        // Each trained prediction is a child a worker scored, with its own outcome.
        var trained = predictions.Where(p => p.Trained).Select(p => p.CandidateId).ToList();
        Assert.NotEmpty(trained);
        Assert.All(trained, c => Assert.Contains(outcomes, o => o.Candidate.Id == c && o.Outcome is not CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage }));
    }

    [Fact]
    public async Task A_second_job_starts_its_surrogate_from_the_values_the_first_one_measured()
    {
        var first = Guid.NewGuid();
        await fixture.Client.GetGrain<ISearchJobGrain>(first).Submit(Screening(budget: 24, seed: 5));
        await fixture.Client.GetGrain<ISearchJobGrain>(first).UntilFinal();
        var second = Guid.NewGuid();
        await fixture.Client.GetGrain<ISearchJobGrain>(second).Submit(Screening(budget: 24, seed: 6));
        await fixture.Client.GetGrain<ISearchJobGrain>(second).UntilFinal();

        var state = EngineState.FromJson((await fixture.Store.LoadLatestCheckpointAsync(second))!.EngineStateJson);
        int warm = state.Surrogate.Count(p => p.Warm);
        Assert.True(warm >= 5, $"{warm} warm-start values");
        Assert.True(state.Surrogate.Count(p => !p.Warm) > 0);
        var cold = EngineState.FromJson((await fixture.Store.LoadLatestCheckpointAsync(first))!.EngineStateJson);
        Assert.True(cold.Surrogate.Count(p => p.Warm) <= warm);
    }

    [Fact]
    public async Task A_warm_started_job_stopped_before_its_first_generation_resumes_with_the_warm_start_it_began_with()
    {
        var first = Guid.NewGuid();
        await fixture.Client.GetGrain<ISearchJobGrain>(first).Submit(Screening(budget: 24, seed: 9)); // the catalog has values
        await fixture.Client.GetGrain<ISearchJobGrain>(first).UntilFinal();

        var id = Guid.NewGuid();
        ScriptedScorer.Scripts[id] = new Script { Delay = TimeSpan.FromSeconds(1) }; // nothing comes back before the stop
        var job = fixture.Client.GetGrain<ISearchJobGrain>(id);
        await job.Submit(Screening(budget: 24, seed: 10));
        var atStart = await fixture.Store.LoadLatestCheckpointAsync(id);
        Assert.NotNull(atStart); // stored before anything was handed out
        Assert.Equal(0, atStart.Generation);
        int warm = EngineState.FromJson(atStart.EngineStateJson).Surrogate.Count(p => p.Warm);
        Assert.True(warm >= 5, $"{warm} warm-start values");

        await fixture.Cluster.DeactivateAsync(job); // the coordinator goes away before its first generation ends
        Assert.Equal(JobState.Finished, (await job.UntilFinal()).State);
        var end = EngineState.FromJson((await fixture.Store.LoadLatestCheckpointAsync(id))!.EngineStateJson);
        Assert.Equal(warm, end.Surrogate.Count(p => p.Warm));
    }

    [Fact]
    public async Task Kept_features_are_stored_per_function_and_a_later_job_computes_none_of_them_again()
    {
        // The task is the test space's; CountingFeatures counts per (task, function) across every test of the fixture.
        var first = Guid.NewGuid();
        await fixture.Client.GetGrain<ISearchJobGrain>(first).Submit(Screening("  features: both\n", budget: 24, seed: 7));
        Assert.Equal(JobState.Finished, (await fixture.Client.GetGrain<ISearchJobGrain>(first).UntilFinal()).State);
        var key = new FeatureKey("counting", "regression", 1);
        var storedFirst = await fixture.Store.LoadFeaturesAsync(key, 100_000);
        Assert.NotEmpty(storedFirst);

        var second = Guid.NewGuid();
        await fixture.Client.GetGrain<ISearchJobGrain>(second).Submit(Screening("  features: both\n", budget: 24, seed: 8));
        Assert.Equal(JobState.Finished, (await fixture.Client.GetGrain<ISearchJobGrain>(second).UntilFinal()).State);

        var stored = await fixture.Store.LoadFeaturesAsync(key, 100_000);
        Assert.True(stored.Count > storedFirst.Count, $"{stored.Count} vectors after the second job, {storedFirst.Count} after the first");
        Assert.Equal(stored.Count, stored.Select(f => f.Fingerprint).Distinct().Count());
        var computed = CountingFeatures.Computed.Where(kv => kv.Key.Task == "regression").ToList();
        Assert.All(computed, kv => Assert.Equal(1, kv.Value)); // the second job knew what the first stored
        Assert.Equal(computed.Select(kv => kv.Key.Function).ToHashSet(), stored.Select(f => f.Fingerprint).ToHashSet());
    }

    [Fact]
    public async Task Fisher_features_are_refused_where_the_coordinator_cannot_train_and_say_what_to_use()
    {
        var job = fixture.Client.GetGrain<ISearchJobGrain>(Guid.NewGuid());
        var error = await Assert.ThrowsAsync<InvalidJobException>(() => job.Submit(Screening("  features: fisher\n")));
        Assert.Contains("'fisher' features of loss@regression", error.Message, StringComparison.Ordinal);
        Assert.Contains("use 'surrogate.features: probe'", error.Message, StringComparison.Ordinal);
    }
}
