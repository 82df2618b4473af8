using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

/// <summary>Surrogate pre-screening: the Gaussian process, the acquisition rules, and the engine breeding several children per slot.</summary>
public sealed class SurrogateTests
{
    private static EvolutionOptions Screening(int candidates = 6, Acquisition acquisition = Acquisition.ExpectedImprovement, int budget = 120,
        SelectionStrategy strategy = SelectionStrategy.Regularized) =>
        TestSearches.Options(strategy, budget) with
        {
            Selection = TestSearches.Options(strategy).Selection with { Mode = EvolutionMode.SteadyState },
            Surrogate = new SurrogateOptions { Enabled = true, Candidates = candidates, Acquisition = acquisition, MinObservations = 8 },
        };

    /// <summary>The curve-fit error on a log scale (raw errors span twenty orders of magnitude), and the size.</summary>
    private static readonly Func<Candidate, CandidateOutcome> LogError = c =>
        TestSearches.Scorer().Score(c) is CandidateOutcome.Evaluated e
            ? new CandidateOutcome.Evaluated([Math.Log10(1e-6 + Math.Min(e.Objectives[0], 1e12)), e.Objectives[1]])
            : TestSearches.Scorer().Score(c);

    [Fact]
    public void The_process_interpolates_what_it_saw_and_is_unsure_far_from_it()
    {
        double[][] x = [.. Enumerable.Range(0, 15).Select(i => new[] { i * 0.2 })];
        double[] y = [.. x.Select(r => Math.Sin(3 * r[0]))];
        var gp = GaussianProcess.Fit(x, y);

        foreach (double at in new[] { 0.3, 1.1, 2.5 })
        {
            var (mean, sd) = gp.Predict([at]);
            Assert.InRange(mean - Math.Sin(3 * at), -0.05, 0.05);
            Assert.InRange(sd, 0, 0.1);
        }
        var (farMean, farSd) = gp.Predict([12.0]);
        Assert.InRange(farSd, 0.5, 2); // about the targets' spread, back at the prior
        Assert.InRange(farMean, -0.5, 0.5);
    }

    [Fact]
    public void Noisy_targets_get_a_larger_noise_level_than_clean_ones()
    {
        var rng = new Rng(3);
        double[][] x = [.. Enumerable.Range(0, 40).Select(i => new[] { i * 0.1 })];
        var clean = GaussianProcess.Fit(x, [.. x.Select(r => r[0] * r[0])]);
        var noisy = GaussianProcess.Fit(x, [.. x.Select(r => r[0] * r[0] + 2 * (rng.NextDouble() - 0.5))]);
        Assert.True(noisy.Noise > clean.Noise * 10, $"noise {noisy.Noise} vs {clean.Noise}");
    }

    [Fact]
    public void Expected_improvement_is_the_normal_formula()
    {
        Assert.Equal(1 / Math.Sqrt(2 * Math.PI), SurrogateModel.ExpectedImprovement(0, 1), 12);
        Assert.Equal(2, SurrogateModel.ExpectedImprovement(2, 0));
        Assert.Equal(0, SurrogateModel.ExpectedImprovement(-2, 0));
        // gap 1, sd 1: Phi(1) + phi(1)
        Assert.Equal(0.8413447460685429 + 0.24197072451914337, SurrogateModel.ExpectedImprovement(1, 1), 9);
    }

    [Fact]
    public void Hyperparameters_are_searched_at_fixed_counts()
    {
        Assert.Equal([2, 3, 4, 4, 6, 6, 6, 9, 9], Enumerable.Range(2, 9).Select(SurrogateModel.SearchPoint).ToArray());
        Assert.Equal(42, SurrogateModel.SearchPoint(57));
        Assert.Equal(58, SurrogateModel.SearchPoint(58));
        Assert.Equal(74, SurrogateModel.SearchPoint(89));
    }

    [Fact]
    public void A_rejected_function_counts_as_the_worst_value_measured_so_its_kind_is_not_ranked_first()
    {
        var model = new SurrogateModel(new SurrogateOptions { Enabled = true, MinObservations = 4, Acquisition = Acquisition.UpperConfidenceBound });
        string[] good = ["tanh(x)", "x * sigmoid(x)", "relu(x)", "softplus(x)", "x", "sin(x)"];
        for (int i = 0; i < good.Length; i++) model.Observe(new SurrogatePoint(ExprParser.Parse(good[i]), -0.80 - 0.01 * i, Warm: false));
        Expr[] wild = [ExprParser.Parse("exp(exp(x))"), ExprParser.Parse("exp(exp(x)) + 1")];
        var before = model.Predict(wild)[1];

        model.Observe(new SurrogatePoint(wild[0], SurrogatePoint.Rejected, Warm: false));
        var after = model.Predict(wild)[1];
        Assert.True(after.Mean > before.Mean, $"{after.Mean} vs {before.Mean}");
        Assert.InRange(after.Mean, -0.83, -0.70); // near the worst measured cost (-0.80), far above the best
        Assert.True(after.Acquisition < before.Acquisition);
        Assert.Equal(7, model.Count);
    }

    [Fact]
    public void Probe_features_describe_shape_and_slope_and_treat_parameters_at_their_initial_values()
    {
        var relu = ProbeFeatures.Of(ExprParser.Parse("relu(x)"));
        Assert.Equal(ProbeFeatures.ScalarLength, relu.Length);
        Assert.Equal(Math.Asinh(5), relu[40]); // f(5)
        Assert.Equal(0, relu[0]); // f(-5)
        Assert.Equal(Math.Asinh(1), relu[^1]); // f'(5)
        Assert.Equal(ProbeFeatures.Of(ExprParser.Parse("x * sigmoid(x)")), ProbeFeatures.Of(ExprParser.Parse("x * sigmoid(v0 * x)")));
        Assert.All(ProbeFeatures.Of(ExprParser.Parse("sqrt(x) + exp(exp(x))")), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Screened_children_end_rejected_with_their_prediction_and_cost_no_budget()
    {
        var engine = new EvolutionEngine(Screening(), 7) { KeepSettled = true };
        var sim = new Simulation(engine, slots: 3, seed: 7, score: LogError);
        sim.Run(int.MaxValue);

        var screened = sim.Rows.Where(r => r.Outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage }).ToList();
        Assert.True(screened.Count > 200, $"{screened.Count} screened");
        Assert.All(screened, r => Assert.Matches(@"^predicted mse -?\d+(\.\d+)? ± \d+(\.\d+)?; candidate \d+ of the \d+ bred for the slot ranked first$",
            ((CandidateOutcome.Rejected)r.Outcome).Reason));
        // The budget counts what a scorer saw; screened children were never handed out and never joined the population.
        Assert.Equal(120, engine.Statistics.Scored);
        // Known functions are bred again rather than kept: hundreds of siblings, hardly any answered from the cache.
        Assert.InRange(engine.Statistics.CacheHits, 0, 20);
        Assert.Equal(120, sim.Told);
        var screenedIds = screened.Select(r => r.Candidate.Id).ToHashSet();
        Assert.DoesNotContain(engine.Population, m => screenedIds.Contains(m.Candidate.Id));
        // The surrogate learned from every value a scorer measured and every rejection (failures are neither).
        Assert.Equal(sim.Rows.Count(r => !r.Cached && r.Outcome is CandidateOutcome.Evaluated e && double.IsFinite(e.Objectives[0])
            || r.Outcome is CandidateOutcome.Rejected { Stage: not SurrogateOptions.Stage } && !r.Cached), engine.Surrogate!.Count);
    }

    [Fact]
    public void The_child_it_trains_is_better_than_the_siblings_it_screens_out_more_often_than_not()
    {
        var engine = new EvolutionEngine(Screening(candidates: 8, acquisition: Acquisition.Mean, budget: 200), 5) { KeepSettled = true };
        var sim = new Simulation(engine, slots: 1, seed: 5, score: LogError);
        sim.Run(int.MaxValue);

        // Group each breeding event (consecutive ids, the trained one among them) and compare true errors.
        double Error(Candidate c) => LogError(c) is CandidateOutcome.Evaluated e ? e.Objectives[0] : double.PositiveInfinity;
        var byId = sim.Rows.Where(r => r.Candidate.Rung == 0).ToDictionary(r => r.Candidate.Id);
        int better = 0, worse = 0;
        foreach (var trained in sim.Rows.Where(r => !r.Cached && r.Candidate.Operator is not ("seed" or "init")))
        {
            var siblings = sim.Rows.Where(r => r.Outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage } rj
                && rj.Reason.Contains($"candidate {trained.Candidate.Id} of", StringComparison.Ordinal));
            foreach (var s in siblings)
            {
                int c = Error(trained.Candidate).CompareTo(Error(s.Candidate));
                if (c < 0) better++;
                else if (c > 0) worse++;
            }
        }
        Assert.True(better + worse > 300, $"{better + worse} pairs");
        Assert.True(better > 4 * worse, $"trained better in {better} pairs, worse in {worse}");
    }

    [Fact]
    public void One_seed_and_one_order_of_outcomes_give_one_screened_search()
    {
        string Run()
        {
            var engine = new EvolutionEngine(Screening(), 9) { KeepSettled = true };
            var sim = new Simulation(engine, slots: 4, seed: 4, score: LogError);
            sim.Run(int.MaxValue);
            return string.Join("\n", sim.Rows.Select(r => TestSearches.Describe(r.Candidate, r.Outcome)));
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Replaying_a_screened_search_rebuilds_it_and_its_surrogate_exactly()
    {
        var options = Screening(budget: 200);
        var engine = new EvolutionEngine(options, 11) { KeepSettled = true };
        engine.WarmStart([(ExprParser.Parse("tanh(x)"), 2.5), (ExprParser.Parse("x * sigmoid(x) + 0.5"), -6)]);
        string? checkpoint = null;
        int rowsAtCheckpoint = 0;
        bool due = false;
        engine.GenerationCompleted += _ => due = true;
        Simulation? sim = null;
        sim = new Simulation(engine, slots: 4, seed: 11, score: LogError, afterEach: () =>
        {
            if (!due) return;
            due = false;
            if (checkpoint is not null || engine.Statistics.Scored < 60) return;
            checkpoint = engine.ExportState().ToJson();
            rowsAtCheckpoint = sim!.Rows.Count;
        });
        sim.Run(150);
        Assert.NotNull(checkpoint);
        Assert.Contains(sim.Rows.Skip(rowsAtCheckpoint), r => r.Outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage });

        var resumed = EvolutionEngine.Resume(options, EngineState.FromJson(checkpoint));
        foreach (var r in sim.Rows) resumed.Replay(r.Candidate, r.Outcome, r.Cached);
        Assert.Equal(TestSearches.Describe(engine.Population), TestSearches.Describe(resumed.Population));
        Assert.Equal(engine.Statistics, resumed.Statistics);
        Assert.Equal(engine.Surrogate!.Points.Select(p => (GraphJson.Serialize(p.Genome), p.Cost, p.Warm)),
            resumed.Surrogate!.Points.Select(p => (GraphJson.Serialize(p.Genome), p.Cost, p.Warm)));
        Assert.Equal(2, resumed.Surrogate.Points.Count(p => p.Warm));
        Expr[] probe = [ExprParser.Parse("x * tanh(x)"), ExprParser.Parse("exp(x) - 1"), ExprParser.Parse("sigmoid(x) + x")];
        Assert.Equal(engine.Surrogate.Predict(probe), resumed.Surrogate.Predict(probe));
    }

    [Fact]
    public void A_warm_start_screens_from_the_first_child_and_comes_only_before_the_search()
    {
        var engine = new EvolutionEngine(Screening(), 2) { KeepSettled = true };
        var scorer = TestSearches.Scorer();
        engine.WarmStart(Enumerable.Range(0, 10).Select(i => (ExprParser.Parse($"x * {i + 1}"), (double)i)));
        Assert.True(engine.Surrogate!.Ready);
        var initial = engine.Ask(100);
        Assert.Throws<InvalidOperationException>(() => engine.WarmStart([(ExprParser.Parse("x"), 1.0)]));
        engine.TakeSettled();
        engine.Tell(initial[0].Id, LogError(initial[0]));
        engine.Ask(1);
        Assert.Contains(engine.TakeSettled(), s => s.Outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage });

        var plain = new EvolutionEngine(Screening(), 2) { KeepSettled = true };
        var first = plain.Ask(100);
        plain.Tell(first[0].Id, LogError(first[0]));
        plain.Ask(1);
        Assert.DoesNotContain(plain.TakeSettled(), s => s.Outcome is CandidateOutcome.Rejected { Stage: SurrogateOptions.Stage });
    }

    [Fact]
    public void A_surrogate_needs_the_steady_state_mode_and_a_valid_objective()
    {
        var generational = TestSearches.Options() with { Surrogate = new SurrogateOptions { Enabled = true } };
        Assert.Contains("steady-state", Assert.Throws<ArgumentException>(() => new EvolutionEngine(generational, 1)).Message);
        var wrong = Screening() with { Surrogate = new SurrogateOptions { Enabled = true, Objective = 5 } };
        Assert.Contains("objective 5", Assert.Throws<ArgumentException>(() => new EvolutionEngine(wrong, 1)).Message);
    }
}
