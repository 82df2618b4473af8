using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

public class EngineTests
{
    public static TheoryData<SelectionStrategy> Strategies =>
        [SelectionStrategy.Regularized, SelectionStrategy.Nsga2, SelectionStrategy.MultiObjectiveTournament, SelectionStrategy.Random];

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Two_runs_with_one_seed_are_identical(SelectionStrategy strategy)
    {
        var a = new EvolutionEngine(TestSearches.Options(strategy), 99);
        var b = new EvolutionEngine(TestSearches.Options(strategy), 99);
        var logA = TestSearches.Drive(a, TestSearches.Scorer());
        var logB = TestSearches.Drive(b, TestSearches.Scorer());
        Assert.Equal(logA, logB);
        Assert.Equal(TestSearches.Describe(a.Front), TestSearches.Describe(b.Front));
        Assert.Equal(TestSearches.Describe(a.Population), TestSearches.Describe(b.Population));
        // And another seed searches differently.
        var c = new EvolutionEngine(TestSearches.Options(strategy), 100);
        Assert.NotEqual(logA, TestSearches.Drive(c, TestSearches.Scorer()));
    }

    [Fact]
    public void Initial_genomes_open_the_first_generation_in_order()
    {
        var swish = ExprParser.Parse("x * sigmoid(x)");
        var tanh = ExprParser.Parse("tanh(x)");
        var engine = new EvolutionEngine(TestSearches.Options() with { InitialGenomes = [swish, tanh] }, 3);
        var first = engine.Ask(4);
        Assert.Equal([swish, tanh], first.Take(2).Select(c => c.Genome));
        Assert.All(first.Take(2), c => Assert.Equal("seed", c.Operator));
        Assert.All(first.Skip(2), c => Assert.Equal("init", c.Operator));
    }

    [Fact]
    public void The_order_of_tells_does_not_change_the_search()
    {
        var a = new EvolutionEngine(TestSearches.Options(), 5);
        var b = new EvolutionEngine(TestSearches.Options(), 5);
        var inOrder = TestSearches.Drive(a, TestSearches.Scorer());
        inOrder.Sort(StringComparer.Ordinal);
        Assert.Equal(inOrder, TestSearches.Drive(b, TestSearches.Scorer(), reverseTells: true));
        Assert.Equal(TestSearches.Describe(a.Front), TestSearches.Describe(b.Front));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Serialize_and_resume_equals_an_uninterrupted_run(SelectionStrategy strategy)
    {
        var options = TestSearches.Options(strategy, budget: 300);
        var uninterrupted = new EvolutionEngine(options, 17);
        var expected = TestSearches.Drive(uninterrupted, TestSearches.Scorer());

        var first = new EvolutionEngine(options, 17);
        var log = TestSearches.Drive(first, TestSearches.Scorer(), maxGenerations: 6);
        // Stop mid-generation, with some candidates told and some in flight.
        var scorer = TestSearches.Scorer();
        var batch = first.Ask(5);
        foreach (var c in batch.Take(2))
        {
            var o = scorer.Score(c);
            first.Tell(c.Id, o);
            log.Add(TestSearches.Describe(c, o));
        }
        string json = first.ExportState().ToJson();

        var resumed = EvolutionEngine.Resume(options, EngineState.FromJson(json));
        Assert.Equal(first.Generation, resumed.Generation);
        Assert.Equal(first.Statistics, resumed.Statistics);
        log.AddRange(TestSearches.Drive(resumed, TestSearches.Scorer()));

        Assert.Equal(expected, log);
        Assert.Equal(uninterrupted.Statistics, resumed.Statistics);
        Assert.Equal(TestSearches.Describe(uninterrupted.Front), TestSearches.Describe(resumed.Front));
        Assert.Equal(TestSearches.Describe(uninterrupted.Population), TestSearches.Describe(resumed.Population));
        // The checkpoint written after resuming is the one the uninterrupted run writes.
        Assert.Equal(uninterrupted.ExportState().ToJson(), resumed.ExportState().ToJson());
    }

    [Fact]
    public void Engine_state_keeps_node_sharing_and_every_double_bit_for_bit()
    {
        double[] awkward = [0.1 + 0.2, -0.0, double.Epsilon, 1e308, -1.2345678901234567e-300, Math.PI, double.NaN, double.PositiveInfinity];
        var add = PrimitiveRegistry.Default.Get("add");
        var shared = new Unary(PrimitiveRegistry.Default.Get("sigmoid"), new Binary(PrimitiveRegistry.Default.Get("mul"), new Parameter("v0", 0.1 + 0.7), Expr.X));
        Expr genome = new Binary(add, shared, new Binary(add, shared, new Constant(awkward[0])));
        var candidate = new Candidate(3, genome, 1, [1, 2], "crossover", Fingerprint.Of(genome));
        var outcome = new CandidateOutcome.Evaluated([.. awkward], genome);
        var state = new EngineState
        {
            Rng = [ulong.MaxValue, 1, 2, 3],
            Population = [new ScoredCandidate(candidate, outcome)],
            Current = [new PendingCandidate(candidate, new CandidateOutcome.Rejected("numeric", "NaN at x = 0"), null, true)],
            Cache = [new CachedOutcome(CacheKey.Of(candidate), new CandidateOutcome.Failed("worker died"))],
        };
        var back = EngineState.FromJson(state.ToJson());
        var c = back.Population[0].Candidate;
        Assert.Equal(genome, c.Genome);
        Assert.Equal(genome.NodeCount(), c.Genome.NodeCount());
        Assert.Equal(candidate.Fingerprint, c.Fingerprint);
        Assert.Equal([1L, 2L], c.ParentIds.ToArray());
        var objectives = ((CandidateOutcome.Evaluated)back.Population[0].Outcome).Objectives;
        Assert.Equal(awkward.Select(BitConverter.DoubleToInt64Bits), objectives.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal([ulong.MaxValue, 1UL, 2UL, 3UL], back.Rng.ToArray());
        Assert.Equal(new CandidateOutcome.Rejected("numeric", "NaN at x = 0"), back.Current!.Value[0].Outcome);
        Assert.Equal(new CandidateOutcome.Failed("worker died"), back.Cache[0].Outcome);
        Assert.Equal(state.ToJson(), back.ToJson());
    }

    [Fact]
    public void A_function_already_scored_is_not_sent_to_the_scorer_again()
    {
        var engine = new EvolutionEngine(TestSearches.Options(budget: 500), 3);
        var scorer = TestSearches.Scorer();
        var seen = new HashSet<CacheKey>();
        int candidates = 0;
        while (!engine.IsFinished)
        {
            var batch = engine.Ask(int.MaxValue);
            if (batch.Count == 0) break;
            foreach (var c in batch)
            {
                Assert.True(seen.Add(CacheKey.Of(c)), $"{c.Genome} ({c.Fingerprint}) was asked twice");
                engine.Tell(c.Id, scorer.Score(c));
                candidates++;
            }
        }
        var s = engine.Statistics;
        Assert.Equal(candidates, s.Scored);
        Assert.True(s.CacheHits > 50, $"only {s.CacheHits} cache hits");
    }

    [Fact]
    public void Every_candidate_ends_in_exactly_one_outcome_and_the_budget_counts_scored_ones()
    {
        var options = TestSearches.Options(budget: 150);
        var engine = new EvolutionEngine(options, 8);
        var scorer = TestSearches.Scorer();
        var outcomes = new Dictionary<long, string>();
        engine.GenerationCompleted += e => Assert.Equal(0, e.InFlight);
        while (!engine.IsFinished)
        {
            var batch = engine.Ask(7);
            if (batch.Count == 0) break;
            foreach (var c in batch)
            {
                CandidateOutcome o = (c.Fingerprint.Value % 5) switch
                {
                    0 => new CandidateOutcome.Rejected("numeric", "test says so"),
                    1 => new CandidateOutcome.Failed("test failure"),
                    _ => scorer.Score(c),
                };
                engine.Tell(c.Id, o);
                Assert.True(outcomes.TryAdd(c.Id, o.Kind));
                Assert.Throws<InvalidOperationException>(() => engine.Tell(c.Id, o));
            }
        }
        var s = engine.Statistics;
        Assert.Equal(150, s.Scored);
        Assert.Equal(s.Scored + s.CacheHits + s.Cancelled, s.Evaluated + s.Rejected + s.Failed + s.Cancelled);
        Assert.True(s.Rejected > 0 && s.Failed > 0 && s.Evaluated > 0);
        Assert.Equal(engine.ExportState().NextCandidateId, s.Evaluated + s.Rejected + s.Failed + s.Cancelled);
        // Failed and rejected candidates never reach the front; the front is exactly the non-dominated evaluated members.
        Assert.All(engine.Front, m => Assert.IsType<CandidateOutcome.Evaluated>(m.Outcome));
        Assert.Empty(engine.Ask(10));
    }

    [Fact]
    public void Stopping_cancels_what_was_not_asked_and_in_flight_candidates_can_still_be_told()
    {
        var engine = new EvolutionEngine(TestSearches.Options(), 9);
        var asked = engine.Ask(3);
        engine.Stop();
        Assert.True(engine.IsFinished);
        Assert.Empty(engine.Ask(5));
        var scorer = TestSearches.Scorer();
        foreach (var c in asked) engine.Tell(c.Id, scorer.Score(c));
        var s = engine.Statistics;
        Assert.Equal(3, s.Scored);
        Assert.Equal(TestSearches.Options().Selection.PopulationSize, s.Scored + s.CacheHits + s.Cancelled);
        Assert.Equal(1, s.GenerationsCompleted);
    }

    [Fact]
    public void A_population_larger_than_the_budget_breeds_only_what_the_budget_can_score()
    {
        var huge = TestSearches.Options(budget: 4) with { Selection = TestSearches.Options().Selection with { PopulationSize = 100_000 } };
        var engine = new EvolutionEngine(huge, 21);
        var asked = engine.Ask(int.MaxValue);
        Assert.Equal(4, asked.Count);
        Assert.Equal(4, engine.ExportState().NextCandidateId); // nothing made beyond them
        var scorer = TestSearches.Scorer();
        foreach (var c in asked) engine.Tell(c.Id, scorer.Score(c));
        Assert.True(engine.IsFinished);
        Assert.Equal(0, engine.Statistics.Cancelled);

        // The same first candidates as a population the budget fits: capping draws nothing differently.
        var fitting = new EvolutionEngine(TestSearches.Options(budget: 4) with { Selection = TestSearches.Options().Selection with { PopulationSize = 4 } }, 21);
        Assert.Equal(asked.Select(c => c.Fingerprint), fitting.Ask(int.MaxValue).Select(c => c.Fingerprint));
    }

    [Fact]
    public async Task RunAsync_drives_the_search_to_its_budget_and_cancellation_ends_in_flight_candidates_cancelled()
    {
        var engine = new EvolutionEngine(TestSearches.Options(budget: 120), 10);
        var report = await engine.RunAsync(new AsyncScorer(TestSearches.Scorer(), cancelAfter: null), CancellationToken.None);
        Assert.Equal(120, report.Statistics.Scored);
        Assert.NotEmpty(report.Front);

        using var cts = new CancellationTokenSource();
        var cancelled = new EvolutionEngine(TestSearches.Options(budget: 1000), 10);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.RunAsync(new AsyncScorer(TestSearches.Scorer(), cancelAfter: (2, cts)), cts.Token));
        Assert.True(cancelled.IsFinished);
        Assert.Equal(0, cancelled.InFlight);
        Assert.True(cancelled.Statistics.Cancelled > 0);
    }

    [Fact]
    public void Nan_objectives_are_the_worst_values()
    {
        var options = TestSearches.Options();
        var engine = new EvolutionEngine(options, 12);
        var batch = engine.Ask(2);
        engine.Tell(batch[0].Id, new CandidateOutcome.Evaluated([double.NaN, 3]));
        engine.Tell(batch[1].Id, new CandidateOutcome.Evaluated([1e300, 3]));
        Assert.Equal(batch[1].Id, engine.Best(0)!.Candidate.Id);
        Assert.Equal(batch[1].Id, engine.Front.Single().Candidate.Id);
        Assert.Throws<ArgumentException>(() => engine.Tell(engine.Ask(1)[0].Id, new CandidateOutcome.Evaluated([1.0])));
    }

    [Fact]
    public void The_front_is_the_non_dominated_set_of_everything_evaluated()
    {
        var engine = new EvolutionEngine(TestSearches.Options(SelectionStrategy.Nsga2, budget: 300), 13);
        var scorer = TestSearches.Scorer();
        var all = new List<(long Id, ImmutableArray<double> Objectives)>();
        while (!engine.IsFinished)
        {
            var batch = engine.Ask(int.MaxValue);
            if (batch.Count == 0) break;
            foreach (var c in batch)
            {
                var o = scorer.Score(c);
                engine.Tell(c.Id, o);
                if (o is CandidateOutcome.Evaluated ev) all.Add((c.Id, ev.Objectives));
            }
        }
        var points = all.Select(a => a.Objectives).ToList();
        var front = Pareto.Front(points).Select(i => points[i]).Distinct(new VectorComparer()).Count();
        Assert.Equal(front, engine.Front.Count);
        Assert.All(engine.Front, m => Assert.DoesNotContain(all, a => Pareto.Dominates(a.Objectives, m.Fitness)));
    }

    private sealed class VectorComparer : IEqualityComparer<ImmutableArray<double>>
    {
        public bool Equals(ImmutableArray<double> a, ImmutableArray<double> b) => a.SequenceEqual(b);

        public int GetHashCode(ImmutableArray<double> a) => a.Aggregate(17, (h, v) => h * 31 + v.GetHashCode());
    }

    private sealed class AsyncScorer(CurveFitScorer inner, (int Batches, CancellationTokenSource Source)? cancelAfter) : IScorer
    {
        private int _batches;

        public async ValueTask<IReadOnlyList<CandidateOutcome>> ScoreAsync(IReadOnlyList<Candidate> batch, CancellationToken cancellation)
        {
            await Task.Yield();
            if (cancelAfter is { } c && ++_batches > c.Batches) await c.Source.CancelAsync();
            cancellation.ThrowIfCancellationRequested();
            return await inner.ScoreAsync(batch, cancellation);
        }
    }
}

/// <summary>One rule for the front: the engine's incremental front and <see cref="Pareto.DistinctFront"/> over its outcomes agree.</summary>
public sealed class FrontRuleTests
{
    [Theory]
    [InlineData(SelectionStrategy.Regularized, 3)]
    [InlineData(SelectionStrategy.Nsga2, 11)]
    public void The_engines_front_is_the_distinct_front_of_everything_evaluated(SelectionStrategy strategy, ulong seed)
    {
        var engine = new EvolutionEngine(TestSearches.Options(strategy, budget: 160), seed) { KeepSettled = true };
        var scorer = TestSearches.Scorer();
        var evaluated = new List<(long Id, ImmutableArray<double> Objectives)>();
        while (!engine.IsFinished)
        {
            var batch = engine.Ask(int.MaxValue);
            foreach (var (c, o) in engine.TakeSettled())
                if (o is CandidateOutcome.Evaluated e) evaluated.Add((c.Id, e.Objectives));
            if (batch.Count == 0) break;
            foreach (var c in batch)
            {
                var outcome = scorer.Score(c);
                engine.Tell(c.Id, outcome);
                if (outcome is CandidateOutcome.Evaluated e) evaluated.Add((c.Id, e.Objectives));
            }
        }
        foreach (var (c, o) in engine.TakeSettled())
            if (o is CandidateOutcome.Evaluated e) evaluated.Add((c.Id, e.Objectives));

        evaluated.Sort((a, b) => a.Id.CompareTo(b.Id));
        var directions = engine.Options.Objectives.Select(o => o.Direction).ToList();
        var expected = Pareto.DistinctFront([.. evaluated.Select(e => (IReadOnlyList<double>)e.Objectives)], directions).Select(i => evaluated[i].Id);
        Assert.Equal(expected, engine.Front.Select(m => m.Candidate.Id));
    }
}
