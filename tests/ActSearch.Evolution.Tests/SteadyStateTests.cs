namespace ActSearch.Evolution.Tests;

/// <summary>Steady-state mode: a child for every free slot, the population updated per outcome, resume by replay.</summary>
public sealed class SteadyStateTests
{
    private static EvolutionOptions Steady(SelectionStrategy strategy = SelectionStrategy.Regularized, int budget = 400) =>
        TestSearches.Options(strategy, budget) with { Selection = TestSearches.Options(strategy).Selection with { Mode = EvolutionMode.SteadyState } };

    [Fact]
    public void After_the_first_outcome_every_slot_that_asks_gets_a_child_while_the_rest_are_in_flight()
    {
        var steady = new EvolutionEngine(Steady(), 3);
        var generational = new EvolutionEngine(TestSearches.Options(), 3);
        var scorer = TestSearches.Scorer();

        // The initial population goes out as the slots ask (a duplicate waits for its twin); with nothing scored yet there
        // is nothing to breed from.
        var initial = steady.Ask(100);
        Assert.InRange(initial.Count, 20, 24);
        Assert.All(initial, c => Assert.InRange(c.Id, 0, 23));
        Assert.Empty(steady.Ask(8));
        Assert.NotEmpty(generational.Ask(100));

        steady.Tell(initial[5].Id, scorer.Score(initial[5]));
        var children = steady.Ask(8);
        Assert.Equal(8, children.Count);
        // Bred from the one member (or from a child that was a known function and joined at once).
        Assert.All(children.SelectMany(c => c.ParentIds), p => Assert.True(p == initial[5].Id || p >= 24, $"parent {p}"));
        Assert.Equal(initial.Count - 1 + 8, steady.InFlight);

        // Generational: nothing more until the whole generation has ended.
        var g0 = generational.Ask(0);
        Assert.Empty(g0);
    }

    [Fact]
    public void Each_outcome_joins_the_population_at_once_and_the_oldest_leaves()
    {
        var engine = new EvolutionEngine(Steady(), 5);
        var scorer = TestSearches.Scorer();
        foreach (var c in engine.Ask(24)) engine.Tell(c.Id, scorer.Score(c));
        Assert.Equal(1, engine.Generation); // the initial population has ended
        var before = engine.Population.Select(m => m.Candidate.Id).ToList();
        Assert.Equal(24, before.Count);

        var child = engine.Ask(1).Single();
        engine.Tell(child.Id, scorer.Score(child));
        var after = engine.Population.Select(m => m.Candidate.Id).ToList();
        Assert.Equal(24, after.Count);
        Assert.Contains(child.Id, after);
        Assert.DoesNotContain(before.Min(), after); // regularized evolution: the oldest died
    }

    [Theory]
    [InlineData(SelectionStrategy.Regularized, 3, 1UL)]
    [InlineData(SelectionStrategy.Nsga2, 16, 2UL)]
    [InlineData(SelectionStrategy.MultiObjectiveTournament, 64, 3UL)]
    [InlineData(SelectionStrategy.Random, 7, 4UL)]
    public void With_outcomes_in_random_order_every_candidate_ends_once_and_the_budget_is_spent(SelectionStrategy strategy, int slots, ulong seed)
    {
        var engine = new EvolutionEngine(Steady(strategy, budget: 300), seed) { KeepSettled = true };
        var sim = new Simulation(engine, slots, seed);
        sim.Run(int.MaxValue);

        Assert.True(engine.IsFinished);
        Assert.Equal(0, engine.InFlight);
        Assert.Equal(Enumerable.Range(0, sim.Rows.Count).Select(i => (long)i), sim.Rows.Select(r => r.Candidate.Id).Order());
        Assert.Equal(300, engine.Statistics.Scored);
        Assert.True(sim.MostBusy >= Math.Min(slots, 24), $"slots were kept busy (at most {sim.MostBusy} of {slots} at once)");
        Assert.True(engine.Generation > 10);
    }

    [Theory]
    [InlineData(SelectionStrategy.Regularized, 40, 90)]
    [InlineData(SelectionStrategy.Nsga2, 10, 150)]
    [InlineData(SelectionStrategy.MultiObjectiveTournament, 25, 60)]
    public void Replaying_the_recorded_outcomes_after_a_checkpoint_rebuilds_the_search_as_it_stood(SelectionStrategy strategy, int checkpointAfter, int crashAfter)
    {
        var options = Steady(strategy);
        var engine = new EvolutionEngine(options, 11) { KeepSettled = true };
        string? checkpoint = null;
        int rowsAtCheckpoint = 0;
        bool due = false;
        engine.GenerationCompleted += _ => due = true;
        // As the job grain does: a checkpoint after a generation's end, once every outcome before it is recorded.
        Simulation? sim = null;
        sim = new Simulation(engine, slots: 6, seed: 11, afterEach: () =>
        {
            if (!due) return;
            due = false;
            if (checkpoint is not null || engine.Statistics.Scored < checkpointAfter) return;
            checkpoint = engine.ExportState().ToJson();
            rowsAtCheckpoint = sim!.Rows.Count;
        });
        sim.Run(crashAfter);
        Assert.NotNull(checkpoint);
        var crashed = engine.ExportState();

        var resumed = EvolutionEngine.Resume(options, EngineState.FromJson(checkpoint));
        var replayed = sim.Rows.Select(r => resumed.Replay(r.Candidate, r.Outcome, r.Cached)).ToList();
        Assert.DoesNotContain(true, replayed.Take(rowsAtCheckpoint)); // the rows the checkpoint counts change nothing
        Assert.Contains(true, replayed.Skip(rowsAtCheckpoint));
        var rebuilt = resumed.ExportState();

        Assert.Equal(TestSearches.Describe(engine.Population), TestSearches.Describe(resumed.Population));
        Assert.Equal(TestSearches.Describe(engine.Front), TestSearches.Describe(resumed.Front));
        Assert.Equal(crashed.Statistics, rebuilt.Statistics);
        Assert.Equal(crashed.Generation, rebuilt.Generation);
        Assert.Equal(crashed.ChildrenEnded, rebuilt.ChildrenEnded);
        Assert.Equal(crashed.Cache.Select(c => c.Key.ToString()).Order(), rebuilt.Cache.Select(c => c.Key.ToString()).Order());

        // What was in flight at the crash is bred again under its ids (a gap below a recorded id at once, the ids after the
        // last recorded one as the slots ask) and goes out before anything new.
        var inFlight = sim.Running.Select(c => c.Id).Order().ToList();
        resumed.KeepSettled = true;
        resumed.EndReplay();
        var asked = resumed.Ask(inFlight.Count + 4).Select(c => c.Id);
        var after = resumed.ExportState().Current!.Value.Select(p => p.Candidate.Id).Concat(asked).Concat(resumed.TakeSettled().Select(s => s.Candidate.Id));
        Assert.Equal(inFlight, after.Distinct().Order().Take(inFlight.Count));
    }

    /// <summary>
    /// A job stopped before its initial population ended (in its first minutes: no checkpoint yet, or only the warm start's,
    /// taken before anything was bred) resumes as itself. The replay breeds the initial population as the first Ask did,
    /// so the members in flight at the stop go out again as themselves, those never handed out are still to come, and a
    /// cancel then ends as many as it would have ended without the stop. Before, the replay took the members as bred after
    /// the checkpoint: the unasked ones were gone, the ones in flight were bred again as children, and (from a checkpoint)
    /// the resumed generator was one draw ahead, so the population it bred was another.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_search_stopped_during_its_initial_population_resumes_as_itself(bool checkpointBeforeBreeding)
    {
        var options = Steady(budget: 200) with { Selection = new SelectionOptions { Mode = EvolutionMode.SteadyState, PopulationSize = 200, TournamentSize = 3, OffspringPerGeneration = 4 } };
        var engine = new EvolutionEngine(options, 7) { KeepSettled = true };
        var beforeBreeding = engine.ExportState().ToJson();
        var sim = new Simulation(engine, slots: 6, seed: 7);
        sim.Run(50);
        var crashed = engine.ExportState();
        Assert.Equal(0, crashed.Generation); // still the initial population
        Assert.True(crashed.Statistics.CacheHits > 0, "the sample has duplicates in its initial population (the replay must settle them alike)");

        var resumed = checkpointBeforeBreeding ? EvolutionEngine.Resume(options, EngineState.FromJson(beforeBreeding)) : new EvolutionEngine(options, 7);
        foreach (var (c, o, cached) in sim.Rows) resumed.Replay(c, o, cached);
        resumed.KeepSettled = true;
        resumed.EndReplay();
        var rebuilt = resumed.ExportState();
        Assert.Equal(crashed.Statistics, rebuilt.Statistics);
        Assert.Equal(crashed.Generation, rebuilt.Generation);
        Assert.Equal(crashed.NextCandidateId, rebuilt.NextCandidateId);

        // The members in flight at the stop go out again, the same genomes under the same ids.
        var again = resumed.Ask(sim.Running.Count);
        Assert.Equal(sim.Running.Select(c => (c.Id, c.Fingerprint)).Order(), again.Select(c => (c.Id, c.Fingerprint)).Order());
        Assert.Empty(resumed.TakeSettled());

        // A cancel ends the same candidates, with the same outcomes, as it would have without the stop.
        engine.Stop();
        resumed.Stop();
        Assert.Equal(engine.TakeSettled().Select(s => s.Candidate.Id), resumed.TakeSettled().Select(s => s.Candidate.Id));
        Assert.Equal(engine.Statistics, resumed.Statistics);
        Assert.Equal(engine.Generation, resumed.Generation);
    }

    /// <summary>
    /// A steady-state job checkpoints at a bounded share of its time, so it may resume from a checkpoint many boundaries
    /// old, with candidates in flight at the stop: replayed and bred again, the search spends the rest of its budget, and
    /// its candidate ids run 0..n-1 once each. Small populations and few slots, as the cluster's kill test runs it.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void A_search_resumed_from_an_old_checkpoint_spends_the_rest_of_its_budget(int slots)
    {
        const int Budget = 160;
        var options = TestSearches.Options(SelectionStrategy.Regularized, Budget) with
        {
            Selection = TestSearches.Options().Selection with { Mode = EvolutionMode.SteadyState, PopulationSize = 8, OffspringPerGeneration = 4, TournamentSize = 3 },
        };
        int resumedRuns = 0;
        for (ulong seed = 1; seed <= 40; seed++)
        {
            var engine = new EvolutionEngine(options, seed) { KeepSettled = true };
            string? checkpoint = null;
            int boundaries = 0, at = 1 + (int)(seed % 7);
            engine.GenerationCompleted += _ => { if (++boundaries == at) checkpoint = engine.ExportState().ToJson(); };
            var before = new Simulation(engine, slots, seed);
            before.Run(40 + (int)(seed % 23));
            Assert.NotNull(checkpoint);

            var resumed = EvolutionEngine.Resume(options, EngineState.FromJson(checkpoint));
            resumed.KeepSettled = true;
            foreach (var r in before.Rows) resumed.Replay(r.Candidate, r.Outcome, r.Cached);
            resumed.EndReplay();
            var after = new Simulation(resumed, slots, seed + 1000);
            after.Run(int.MaxValue);
            resumedRuns++;

            Assert.True(resumed.IsFinished, $"seed {seed}: {resumed.InFlight} in flight, {resumed.Statistics.Scored} scored");
            Assert.Equal(0, resumed.InFlight);
            Assert.Equal(Budget, resumed.Statistics.Scored);
            var ids = before.Rows.Concat(after.Rows).Select(r => r.Candidate.Id).Distinct().Order().ToList();
            Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => (long)i), ids);
        }
        Assert.Equal(40, resumedRuns);
    }

    [Fact]
    public void A_checkpoint_resumes_only_in_its_own_mode()
    {
        var steady = new EvolutionEngine(Steady(), 1);
        var generational = new EvolutionEngine(TestSearches.Options(), 1);
        Assert.Throws<FormatException>(() => EvolutionEngine.Resume(TestSearches.Options(), steady.ExportState()));
        Assert.Throws<FormatException>(() => EvolutionEngine.Resume(Steady(), generational.ExportState()));
        Assert.Throws<InvalidOperationException>(() => generational.Replay(generational.Ask(1)[0], CandidateOutcome.Cancelled.Instance, false));
    }

    [Fact]
    public void One_seed_and_one_order_of_outcomes_give_one_search()
    {
        string Run()
        {
            var engine = new EvolutionEngine(Steady(), 9) { KeepSettled = true };
            var sim = new Simulation(engine, slots: 5, seed: 4);
            sim.Run(int.MaxValue);
            return string.Join("\n", sim.Rows.Select(r => TestSearches.Describe(r.Candidate, r.Outcome)));
        }
        Assert.Equal(Run(), Run());
    }
}

/// <summary>
/// Workers that finish in random order: fills every free slot, then ends one running candidate at random; records every
/// outcome in the order a job grain stores them (a told outcome, then what the engine settled with it).
/// </summary>
internal sealed class Simulation(EvolutionEngine engine, int slots, ulong seed, Action? afterEach = null, Func<Candidate, CandidateOutcome>? score = null)
{
    private readonly Rng _rng = new(seed);
    private readonly Func<Candidate, CandidateOutcome> _score = score ?? TestSearches.Scorer().Score;

    public List<Candidate> Running { get; } = [];

    public List<(Candidate Candidate, CandidateOutcome Outcome, bool Cached)> Rows { get; } = [];

    public int Told { get; private set; }

    public int MostBusy { get; private set; }

    public void Run(int tells)
    {
        while (Told < tells)
        {
            Running.AddRange(engine.Ask(slots - Running.Count));
            Settled();
            MostBusy = Math.Max(MostBusy, Running.Count);
            if (Running.Count == 0) return;
            int i = _rng.NextInt(Running.Count);
            var c = Running[i];
            Running.RemoveAt(i);
            var o = _score(c);
            Rows.Add((c, o, false));
            engine.Tell(c.Id, o);
            Told++;
            Settled();
            afterEach?.Invoke();
        }
    }

    private void Settled()
    {
        foreach (var (c, o) in engine.TakeSettled()) Rows.Add((c, o, o is not CandidateOutcome.Cancelled));
    }
}
