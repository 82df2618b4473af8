using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;

namespace ActSearch.Grains.Tests;

/// <summary>How the TorchSharp scorer translates between a search space, the evaluation chain and the engine.</summary>
public class TorchScorerMappingTests
{
    private static readonly SearchSpace Space = SearchSpaceLoader.LoadFromText("""
        name: mapping
        kind: activation
        seed: 5
        tasks: [fmnist-mlp, tabular-mlp]
        objectives: [accuracy@fmnist-mlp, loss@tabular-mlp, sparsity@fmnist-mlp, complexity, flops, latency]
        rejection:
          numeric: { near_constant_std: 0.01, explosion_scale: 500 }
          stability: { enabled: false }
          quality: { task: tabular-mlp, steps: 30, min_accuracy: 0.3 }
        """, "mapping.yaml");

    private static readonly Expr Swish = ExprParser.Parse("x * sigmoid(x)");

    private static ProxyTaskResult Run(string task, ulong seed, double accuracy, double loss, double sparsity) => new()
    {
        Task = task, Seed = seed, Device = "cpu", Metric = TaskMetric.Accuracy, Accuracy = accuracy, Loss = loss,
        ActivationSparsity = sparsity, WallTime = TimeSpan.FromSeconds(1), ParameterCount = 100, Steps = 300,
    };

    [Fact]
    public void Objectives_are_read_off_the_runs_the_formula_and_the_timing_in_the_spaces_order()
    {
        var scores = new CandidateScores
        {
            Canonical = "x * sigmoid(x)", Fingerprint = "0", Kind = "activation", Complexity = 4, NodeCount = 3,
            FlopsPerElement = 13, FormulaParameters = 0, Device = "cpu",
            Latency = new Latency(TimeSpan.FromMicroseconds(150), "(64, 32, 14, 14)", 401_408, 15),
            Results = [Run("fmnist-mlp", 5, 0.8, 0.6, 0.1), Run("fmnist-mlp", 6, 0.7, 0.7, 0.3), Run("tabular-mlp", 5, 0.9, 0.25, 0.2)],
        };
        var outcome = Assert.IsType<CandidateOutcome.Evaluated>(TorchCandidateScorer.ToOutcome(new EvaluationOutcome.Evaluated(scores), Swish, Space.Evolution.Objectives));
        Assert.Equal([0.75, 0.25, 0.2, 4, 13, 150], outcome.Objectives.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void The_robust_objective_is_read_off_the_runs_of_every_task_together()
    {
        var space = SearchSpaceLoader.LoadFromText("name: r\nkind: activation\ntasks: [fmnist-cnn, deep-mlp]\nobjectives: [robust_gain, complexity]\n", "r.yaml");
        var scores = new CandidateScores
        {
            Canonical = "x * sigmoid(x)", Fingerprint = "0", Kind = "activation", Complexity = 4, NodeCount = 3,
            FlopsPerElement = 13, FormulaParameters = 0, Device = "cpu", Latency = new Latency(TimeSpan.FromMicroseconds(90), "(64, 32)", 2048, 15),
            Results = [Run("fmnist-cnn", 1, 0.86, 0.4, 0), Run("deep-mlp", 1, 0.70, 0.9, 0), Run("deep-mlp", 2, 0.74, 0.8, 0)],
        };
        var outcome = Assert.IsType<CandidateOutcome.Evaluated>(TorchCandidateScorer.ToOutcome(new EvaluationOutcome.Evaluated(scores), Swish, space.Evolution.Objectives));
        double deep = TaskCatalog.Get("deep-mlp").Reference!.Value; // the worse task: 0.72 on average, below its reference
        Assert.Equal(((1 - deep) - 0.28) / (1 - deep), outcome.Objectives[0], 12);
        Assert.Equal(4, outcome.Objectives[1]);
    }

    [Fact]
    public void Rejections_and_failures_keep_their_stage_and_reason()
    {
        var rejected = TorchCandidateScorer.ToOutcome(new EvaluationOutcome.Rejected("numeric", "output is constant", TimeSpan.Zero), Swish, Space.Evolution.Objectives);
        Assert.Equal(new CandidateOutcome.Rejected("numeric", "output is constant"), rejected);
        Assert.Equal(new CandidateOutcome.Failed("boom"), TorchCandidateScorer.ToOutcome(new EvaluationOutcome.Failed("boom"), Swish, Space.Evolution.Objectives));
    }

    [Fact]
    public void The_spaces_rejection_settings_reach_the_chain()
    {
        var s = TorchCandidateScorer.Settings(Space);
        Assert.Equal(0.01, s.Numeric.NearConstantStd);
        Assert.Equal(500, s.Numeric.ExplosionScale);
        Assert.False(s.Stability.Enabled);
        Assert.Equal(("tabular-mlp", 30, 0.3), (s.Quality.Task, s.Quality.Steps, s.Quality.MinAccuracy));
        Assert.Equal(5UL, s.Quality.Seed);
        Assert.False(s.Duplicate.Enabled); // the job's engine dedupes; a worker's own memory would make results depend on placement
    }

    [Fact]
    public void A_rung_says_what_its_candidates_train_steps_seeds_and_full_data()
    {
        var space = SearchSpaceLoader.LoadFromText(
            "name: full\nkind: activation\nseed: 9\ntasks: [fmnist-mlp, fmnist-cnn]\nfidelity:\n  rungs: [{steps: 100}, {steps: 300, seeds: 2, data: full}]\n", "full.yaml");
        var low = TorchCandidateScorer.PlanFor(space, space.Evolution.Fidelity.Rung(0));
        var high = TorchCandidateScorer.PlanFor(space, space.Evolution.Fidelity.Rung(1));
        Assert.Equal((100, 1, false, 9UL), (low.Steps, low.Seeds, low.FullData, low.FirstSeed));
        Assert.Equal((300, 2, true, 9UL), (high.Steps, high.Seeds, high.FullData, high.FirstSeed));
        Assert.Equal(["fmnist-mlp", "fmnist-cnn"], high.Tasks.AsEnumerable());
    }
}
