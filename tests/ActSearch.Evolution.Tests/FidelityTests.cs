using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

/// <summary>
/// Fidelity rungs (ASHA in steady state): every candidate starts at the lowest rung, the top 1/eta of a rung is promoted,
/// selection and the front use each candidate's highest rung, and a replay rebuilds the rungs as they stood.
/// </summary>
public sealed class FidelityTests
{
    private static readonly CurveFitScorer Curve = TestSearches.Scorer();

    private static EvolutionOptions WithRungs(SelectionStrategy strategy = SelectionStrategy.Regularized, int budget = 300, int rungs = 3, double eta = 3) =>
        TestSearches.Options(strategy, budget) with
        {
            Selection = TestSearches.Options(strategy).Selection with { Mode = EvolutionMode.SteadyState },
            Fidelity = new FidelityOptions { Rungs = [.. Enumerable.Range(0, rungs).Select(r => new FidelityRung(100 * (r + 1)))], Eta = eta },
        };

    /// <summary>
    /// A scorer whose rungs disagree: the curve's error with noise that shrinks as the rung rises (a longer training is a
    /// truer measurement), the same for the same function at the same rung.
    /// </summary>
    private static CandidateOutcome Noisy(Candidate c)
    {
        var o = Curve.Score(c);
        if (o is not CandidateOutcome.Evaluated ev) return o;
        double noise = new Rng(c.Fingerprint.Value ^ (ulong)(c.Rung + 1) * 0x9E3779B97F4A7C15UL).NextDouble();
        return new CandidateOutcome.Evaluated([ev.Objectives[0] * (1 + noise / (1 + 2 * c.Rung)), ev.Objectives[1]]);
    }

    [Theory]
    [InlineData(SelectionStrategy.Regularized, 5, 1UL)]
    [InlineData(SelectionStrategy.Nsga2, 16, 2UL)]
    [InlineData(SelectionStrategy.MultiObjectiveTournament, 3, 3UL)]
    [InlineData(SelectionStrategy.Random, 9, 4UL)]
    public void Candidates_start_at_the_lowest_rung_and_the_top_third_of_each_rung_is_promoted(SelectionStrategy strategy, int slots, ulong seed)
    {
        var engine = new EvolutionEngine(WithRungs(strategy), seed) { KeepSettled = true };
        var sim = new Simulation(engine, slots, seed, score: Noisy);
        sim.Run(int.MaxValue);

        Assert.True(engine.IsFinished);
        Assert.Equal(0, engine.InFlight);
        Assert.Equal(300, engine.Statistics.Scored); // the budget counts candidates at the lowest rung
        var rows = sim.Rows.Where(r => r.Outcome is not CandidateOutcome.Cancelled).ToList();
        // One outcome per candidate and rung; a candidate reaches rung r only after an evaluation at rung r - 1 recorded before it.
        Assert.Equal(rows.Count, rows.Select(r => (r.Candidate.Id, r.Candidate.Rung)).Distinct().Count());
        for (int i = 0; i < rows.Count; i++)
        {
            var (c, _, _) = rows[i];
            if (c.Rung == 0) continue;
            Assert.Contains(rows.Take(i), r => r.Candidate.Id == c.Id && r.Candidate.Rung == c.Rung - 1 && r.Outcome is CandidateOutcome.Evaluated);
        }
        Assert.Equal(Enumerable.Range(0, rows.Where(r => r.Candidate.Rung == 0).Count()).Select(i => (long)i), rows.Where(r => r.Candidate.Rung == 0).Select(r => r.Candidate.Id).Order());

        // Drained: at the end, every candidate in the top floor(n / 3) of a rung below the top was promoted (ASHA's rule,
        // with several objectives ranked by non-dominated sorting then crowding), and nothing else waits.
        var stats = engine.Rungs;
        Assert.Equal(3, stats.Count);
        for (int r = 0; r < 2; r++)
        {
            // A rung ranks what a scorer measured there (a copy of a known function is not counted twice).
            var evaluated = rows.Where(x => x.Candidate.Rung == r && x.Outcome is CandidateOutcome.Evaluated && !x.Cached).ToList();
            Assert.Equal(evaluated.Count, stats[r].Evaluated);
            var members = evaluated.Select(x => new Member(x.Candidate, x.Outcome, Pareto.ToMinimization(((CandidateOutcome.Evaluated)x.Outcome).Objectives, [ObjectiveDirection.Minimize, ObjectiveDirection.Minimize]))).ToList();
            var points = members.Select(m => m.Fitness).ToList();
            var ranked = new List<Member>();
            foreach (var front in Pareto.FastNonDominatedSort(points))
            {
                var d = Pareto.CrowdingDistance(points, front);
                ranked.AddRange(front.Select((k, i) => (m: members[k], d: d[i])).OrderByDescending(t => t.d).ThenBy(t => t.m.Age).Select(t => t.m));
            }
            int top = evaluated.Count / 3;
            var promoted = rows.Where(x => x.Candidate.Rung == r + 1).Select(x => x.Candidate.Id).ToHashSet();
            Assert.All(ranked.Take(top), m => Assert.Contains(m.Candidate.Id, promoted));
            Assert.Equal(promoted.Count, stats[r].Promoted);
            Assert.True(promoted.Count >= top && promoted.Count < evaluated.Count, $"rung {r}: {promoted.Count} of {evaluated.Count} promoted");
        }
        Assert.True(stats[2].Evaluated > 0, "some candidates reached the top rung");
        Assert.Equal(rows.Count(r => r.Candidate.Rung == 1 && !r.Cached), stats[1].Scored);
    }

    [Fact]
    public void Promotion_may_rank_by_the_objectives_training_changes_only()
    {
        // Objective 1 (complexity) is the same at every rung: ranked by objective 0 alone, the top third of each rung by it
        // is what gets promoted, whatever its size.
        var options = WithRungs(rungs: 2) with { Fidelity = WithRungs(rungs: 2).Fidelity with { PromoteBy = [0] } };
        var engine = new EvolutionEngine(options, 8) { KeepSettled = true };
        var sim = new Simulation(engine, 4, 8, score: Noisy);
        sim.Run(int.MaxValue);
        var rung0 = sim.Rows.Where(r => r.Candidate.Rung == 0 && r.Outcome is CandidateOutcome.Evaluated && !r.Cached).ToList();
        var promoted = sim.Rows.Where(r => r.Candidate.Rung == 1).Select(r => r.Candidate.Id).ToHashSet();
        var best = rung0.OrderBy(r => ((CandidateOutcome.Evaluated)r.Outcome).Objectives[0]).ThenBy(r => r.Candidate.Id).Take(rung0.Count / 3);
        Assert.All(best, r => Assert.Contains(r.Candidate.Id, promoted));
        Assert.True(promoted.Count < rung0.Count / 2, $"{promoted.Count} of {rung0.Count} promoted");
    }

    [Theory]
    [InlineData(new int[0], 1)]
    [InlineData(new[] { 0 }, 2)]
    [InlineData(new[] { 1 }, 2)]
    [InlineData(new[] { 0, 1 }, 2)]
    public void A_rungs_ranking_kept_between_joins_is_the_ranking_of_all_its_members(int[] objectives, int width)
    {
        // Ties, NaN and infinities included; members join in an order unrelated to their age, the ranking read between joins.
        var rng = new Rng(7);
        double[] values = [0.1, 0.5, 0.5, double.NaN, double.PositiveInfinity, -1, 0.25, 0.5];
        var book = new EvolutionEngine.RungBook();
        var by = objectives.ToImmutableArray();
        var ids = Enumerable.Range(0, 300).Select(i => (long)i).OrderBy(_ => rng.NextDouble()).ToList();
        foreach (long id in ids)
        {
            var genome = ExprParser.Parse("x");
            var fitness = Enumerable.Range(0, width).Select(_ => values[rng.NextInt(values.Length)]).ToImmutableArray();
            book.Add(new Member(new Candidate(id, genome, 0, [], "init", Fingerprint.Of(genome)), new CandidateOutcome.Evaluated(fitness), fitness));
            if (rng.NextDouble() < 0.5) continue;
            Assert.Equal(EvolutionEngine.RungBook.Rank(book.Members, by).Select(m => m.Age), book.Ranked(by).Select(m => m.Age));
        }
        Assert.Equal(EvolutionEngine.RungBook.Rank(book.Members, by).Select(m => m.Age), book.Ranked(by).Select(m => m.Age));
    }

    [Fact]
    public void The_front_and_the_best_are_those_of_the_highest_rung_reached()
    {
        var engine = new EvolutionEngine(WithRungs(), 5) { KeepSettled = true };
        var sim = new Simulation(engine, 4, 5, score: Noisy);
        int sawRung1 = 0;
        sim.Run(int.MaxValue);
        Assert.Equal(2, engine.TopRung);
        Assert.NotEmpty(engine.Front);
        Assert.All(engine.Front, m => Assert.Equal(2, m.Rung));
        Assert.Equal(2, engine.Best(0)!.Rung);
        foreach (var r in sim.Rows) if (r.Candidate.Rung == 1) sawRung1++;
        Assert.True(sawRung1 > 0);
    }

    [Fact]
    public void Selection_ranks_a_higher_rung_first_whatever_the_scores()
    {
        Member M(long id, int rung, double loss) =>
            new(new Candidate(id, ExprParser.Parse("x"), 0, [], "init", Fingerprint.Of(ExprParser.Parse("x")), rung),
                new CandidateOutcome.Evaluated([loss, 1]), [loss, 1]);
        // Rung 1 scores are worse than rung 0's (longer training measures differently): they are never compared as equals.
        var population = new List<Member> { M(0, 0, 0.01), M(1, 1, 0.5), M(2, 0, 0.02), M(3, 1, 0.4), M(4, 0, 0.03) };
        var nsga = new Nsga2Selection();
        var kept = nsga.Survive(population, [M(5, 0, 0.001)], 3);
        Assert.Equal([1L, 3, 5], kept.Select(m => m.Candidate.Id)); // both rung-1 members, then the best of rung 0 (the newcomer)
        var rng = new Rng(3);
        int won = 0; // a binary tournament on rank: whenever a rung-1 member is drawn, it wins (1 - 0.6^2 = 64%)
        for (int i = 0; i < 400; i++) if (nsga.SelectParent(rng, population).Rung == 1) won++;
        Assert.InRange(won, 220, 300);
        var regularized = new RegularizedEvolution(tournamentSize: 5);
        int higher = 0;
        for (int i = 0; i < 200; i++) if (regularized.SelectParent(rng, population).Rung == 1) higher++;
        Assert.True(higher > 150, $"{higher} of 200 tournaments of 5 went to a rung-1 member"); // 1 - 0.6^5 = 92% draw one
        var tournament = new MultiObjectiveTournament(tournamentSize: 5);
        int fromTop = 0;
        for (int i = 0; i < 200; i++) if (tournament.SelectParent(rng, population).Rung == 1) fromTop++;
        Assert.True(fromTop > 150, $"{fromTop} of 200");
    }

    [Theory]
    [InlineData(SelectionStrategy.Regularized, 60, 140)]
    [InlineData(SelectionStrategy.Nsga2, 30, 200)]
    public void Replaying_the_recorded_outcomes_rebuilds_the_rungs_as_they_stood(SelectionStrategy strategy, int checkpointAfter, int crashAfter)
    {
        var options = WithRungs(strategy);
        var engine = new EvolutionEngine(options, 13) { KeepSettled = true };
        string? checkpoint = null;
        bool due = false;
        engine.GenerationCompleted += _ => due = true;
        Simulation? sim = null;
        sim = new Simulation(engine, slots: 6, seed: 13, score: Noisy, afterEach: () =>
        {
            if (!due) return;
            due = false;
            if (checkpoint is null && engine.Statistics.Scored >= checkpointAfter) checkpoint = engine.ExportState().ToJson();
        });
        sim.Run(crashAfter);
        while (!sim.Running.Any(c => c.Rung > 0)) sim.Run(sim.Told + 1); // crash while a promotion is in flight
        Assert.NotNull(checkpoint);
        var state = EngineState.FromJson(checkpoint);
        Assert.Equal(3, state.Rungs.Length);
        Assert.Contains(state.Rungs[0].Promoted, id => true);
        var crashed = engine.ExportState();

        var resumed = EvolutionEngine.Resume(options, state);
        foreach (var r in sim.Rows) resumed.Replay(r.Candidate, r.Outcome, r.Cached);
        var rebuilt = resumed.ExportState();
        Assert.Equal(TestSearches.Describe(engine.Population), TestSearches.Describe(resumed.Population));
        Assert.Equal(TestSearches.Describe(engine.Front), TestSearches.Describe(resumed.Front));
        Assert.Equal(crashed.Statistics, rebuilt.Statistics);
        Assert.Equal(Books(crashed.Rungs.Select(r => r with { Promoted = [.. r.Promoted.Where(id => !sim.Running.Any(c => c.Id == id))] })), Books(rebuilt.Rungs.Select(r => r with
        {
            Promoted = [.. r.Promoted.Where(id => !sim.Running.Any(c => c.Id == id))],
        })));
        Assert.Equal(engine.Rungs.Select(r => (r.Scored, r.Evaluated)), resumed.Rungs.Select(r => (r.Scored, r.Evaluated)));

        // The promotions in flight at the crash are handed out again (they were never recorded), and nothing is told twice.
        resumed.EndReplay();
        var again = resumed.Ask(20);
        Assert.Equal(again.Count, again.Select(c => c.Id).Distinct().Count());
        Assert.DoesNotContain(again, c => sim.Rows.Any(r => r.Candidate.Id == c.Id && r.Candidate.Rung == c.Rung));

        static string Books(IEnumerable<RungState> rungs) => string.Join(" | ", rungs.Select(r =>
            $"{string.Join(",", r.Evaluated.Select(m => m.Candidate.Id).Order())} promoted {string.Join(",", r.Promoted.Order())} scored {r.Scored}"));
    }

    [Fact]
    public void A_spent_budget_still_promotes_what_deserves_it_then_ends()
    {
        var engine = new EvolutionEngine(WithRungs(budget: 60), 21) { KeepSettled = true };
        var sim = new Simulation(engine, 2, 21, score: Noisy);
        sim.Run(int.MaxValue);
        Assert.True(engine.IsFinished);
        Assert.Equal(60, engine.Statistics.Scored);
        Assert.True(engine.Rungs[1].Scored > 0);
        Assert.Null(engine.Ask(5).FirstOrDefault());
    }

    [Fact]
    public void Rungs_need_steady_state_and_an_eta_above_one()
    {
        var generational = WithRungs() with { Selection = TestSearches.Options().Selection };
        Assert.Contains("steady-state", Assert.Throws<ArgumentException>(() => new EvolutionEngine(generational, 1)).Message);
        Assert.Contains("eta", Assert.Throws<ArgumentException>(() => new EvolutionEngine(WithRungs(eta: 1), 1)).Message);
        var noRungs = EvolutionEngine.Resume(TestSearches.Options() with { Selection = WithRungs().Selection }, new EvolutionEngine(WithRungs() with { Fidelity = new() }, 1).ExportState());
        Assert.Single(noRungs.Rungs);
        var withRungs = new EvolutionEngine(WithRungs(), 1);
        Assert.Throws<FormatException>(() => EvolutionEngine.Resume(WithRungs(rungs: 2), withRungs.ExportState() with
        {
            Rungs = [new RungState([], [], 0), new RungState([], [], 0), new RungState([], [], 0)],
        }));
    }

    [Fact]
    public void Checkpoints_of_searches_without_rungs_keep_their_form()
    {
        var engine = new EvolutionEngine(TestSearches.Options(), 2);
        TestSearches.Drive(engine, Curve, maxGenerations: 2);
        string json = engine.ExportState().ToJson();
        Assert.DoesNotContain("\"rung", json, StringComparison.Ordinal);
        var c = new Candidate(3, ExprParser.Parse("tanh(x)"), 1, [1], "mutate", Fingerprint.Of(ExprParser.Parse("tanh(x)")), Rung: 2);
        var read = EngineStateJson.ReadCandidate(EngineStateJson.Candidate(c));
        Assert.Equal((c.Id, c.Fingerprint, c.Operator, c.Rung), (read.Id, read.Fingerprint, read.Operator, read.Rung));
    }
}
