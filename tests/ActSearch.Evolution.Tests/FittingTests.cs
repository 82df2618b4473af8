using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

public class FittingTests
{
    [Fact]
    public void Levenberg_Marquardt_recovers_the_constants_of_a_known_formula()
    {
        var (xs, ys) = SymbolicRegression.Sample(ExprParser.Parse("1.3 * x * sigmoid(1.7 * x)"), -4, 4, 101);
        var fit = new CurveFitter(xs, ys).Fit(ExprParser.Parse("1 * x * sigmoid(1 * x)"), 50);
        var constants = fit.Formula.Nodes().OfType<Constant>().Select(c => c.Value).Order().ToList();
        Assert.Equal(2, constants.Count);
        Assert.Equal(1.3, constants[0], 6);
        Assert.Equal(1.7, constants[1], 6);
        Assert.True(fit.Mse < 1e-12, $"mse {fit.Mse}");
    }

    [Fact]
    public void Levenberg_Marquardt_fits_parameter_initial_values_and_keeps_their_names()
    {
        var (xs, ys) = SymbolicRegression.Sample(ExprParser.Parse("x * tanh(softplus(x)) * 0.8"), -3, 3, 61);
        var start = new Binary(PrimitiveRegistry.Default.Get("mul"), ExprParser.Parse("x * tanh(softplus(x))"), new Parameter("v0", 1.0));
        var fit = new CurveFitter(xs, ys).Fit(start, 20);
        var p = Assert.Single(fit.Formula.Parameters());
        Assert.Equal("v0", p.Name);
        Assert.Equal(0.8, p.Initial, 8);
    }

    [Fact]
    public void Levenberg_Marquardt_fits_a_learned_units_coefficients_and_the_fitted_formula_carries_them()
    {
        // Data from a known rational function; the fit starts from another and recovers it (the form is identifiable
        // where q(x) keeps one sign: q1 = 0.5 > 0 on x > 0).
        var truth = ExprParser.Parse("rational{2,1,coef=[0.2,1.5,0.3,0.5]}(x)");
        var (xs, ys) = SymbolicRegression.Sample(truth, 0.1, 3, 61);
        var fit = new CurveFitter(xs, ys).Fit(ExprParser.Parse("rational{2,1,coef=[0,1,0,0.1]}(x)"), 100);
        Assert.True(fit.Mse < 1e-16, $"mse {fit.Mse}");
        var unit = Assert.Single(fit.Formula.LearnedUnits()).Unit;
        Assert.Null(unit.Init);
        double[] expected = [0.2, 1.5, 0.3, 0.5];
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], unit.Initial[i], 6);
        // The refined formula evaluates to the fitted values: its text carries the coefficients.
        Assert.Equal(fit.Mse, new CurveFitter(xs, ys).Mse(ExprParser.Parse(fit.Formula.ToString())), 12);
    }

    [Fact]
    public void Formulas_that_give_NaN_or_Inf_get_an_infinite_loss()
    {
        var (xs, ys) = SymbolicRegression.Sample(Expr.X, -1, 1, 11);
        var fitter = new CurveFitter(xs, ys);
        Assert.Equal(double.PositiveInfinity, fitter.Fit(ExprParser.Parse("log(x - 2)"), 10).Mse);
        Assert.Equal(double.PositiveInfinity, fitter.Mse(ExprParser.Parse("1 / x")));
        var scorer = new CurveFitScorer(xs, ys, new ConstantOptimizationOptions(), 1);
        var outcome = scorer.Score(new Candidate(0, ExprParser.Parse("sqrt(x)"), 0, [], "init", default));
        Assert.IsType<CandidateOutcome.Rejected>(outcome);
    }

    [Fact]
    public void Fit_finds_GELU_to_an_error_of_1e_4_with_seed_1_and_the_same_way_twice()
    {
        var (xs, ys) = SymbolicRegression.Sample(ExprParser.Parse("0.5 * x * (1 + erf(x / sqrt(2)))"), -5, 5, 200);
        var options = SymbolicRegression.DefaultOptions with { Budget = new Budget(Evaluations: 50_000, WallTime: TimeSpan.FromSeconds(15)) };
        var first = SymbolicRegression.Fit(xs, ys, options, seed: 1, targetMse: 1e-4);
        Assert.True(first.BestMse <= 1e-4, $"best {first.Best} has MSE {first.BestMse} after {first.Evaluations} evaluations");
        Assert.Equal(first.BestMse, new CurveFitter(xs, ys).Mse(first.Best), 12);
        var second = SymbolicRegression.Fit(xs, ys, options, seed: 1, targetMse: 1e-4);
        Assert.Equal(first.Best, second.Best);
        Assert.Equal(first.Evaluations, second.Evaluations);
        Assert.Equal(first.Front.Select(p => (p.Complexity, p.Mse, p.Formula.ToString())), second.Front.Select(p => (p.Complexity, p.Mse, p.Formula.ToString())));
        // The front trades complexity for error: more nodes, less error.
        for (int i = 1; i < first.Front.Count; i++)
        {
            Assert.True(first.Front[i].Complexity > first.Front[i - 1].Complexity);
            Assert.True(first.Front[i].Mse < first.Front[i - 1].Mse);
        }
    }

    [Fact]
    public void Fit_goes_on_to_the_exact_GELU_when_asked_for_more()
    {
        var (xs, ys) = SymbolicRegression.Sample(ExprParser.Parse("0.5 * x * (1 + erf(x / sqrt(2)))"), -5, 5, 200);
        var options = SymbolicRegression.DefaultOptions with { Budget = new Budget(Evaluations: 20_000, WallTime: TimeSpan.FromSeconds(15)) };
        var result = SymbolicRegression.Fit(xs, ys, options, seed: 1, targetMse: 1e-12);
        Assert.True(result.BestMse <= 1e-12, $"best {result.Best} has MSE {result.BestMse} after {result.Evaluations} evaluations");
        Assert.Contains(result.Best.Nodes(), n => n is Unary { Op.Name: "erf" });
    }

    [Fact]
    public void The_DEAP_configuration_runs_its_40_generations_and_counts_evaluations_as_DEAP_does()
    {
        var run = DeapBenchmark.Run(318);
        // 300 initial, then roughly 55% of 300 per generation (crossover 0.5 on pairs, mutation 0.1): ~6,900.
        Assert.InRange(run.Evaluations, 300 + 40 * 120, 300 + 40 * 220);
        Assert.True(run.BestMse < 0.01, $"best {run.Best} MSE {run.BestMse}");
        Assert.True(run.Best.Depth <= DeapBenchmark.Genome.MaxDepth);
        Assert.Equal(run.Evaluations, DeapBenchmark.Run(318).Evaluations);
    }
}
