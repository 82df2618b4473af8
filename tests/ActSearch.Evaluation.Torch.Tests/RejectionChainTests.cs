using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.Rejection;
using ActSearch.Evaluation.Torch.Tasks;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>The TorchSharp stages (stability, quality) and the whole chain with its objectives.</summary>
public class RejectionChainTests(ITestOutputHelper output)
{
    static RejectionChainTests() => TestTorch.Init();

    private static readonly StabilityProbe Stability = new(new StabilityProbeSettings(), CPU);

    private StabilityMeasurement Measure(string formula, bool layer = false)
    {
        var m = Stability.Measure(ChainCandidate.Parse(formula, layer));
        output.WriteLine($"{formula}: a = [{string.Join(", ", m.InputRms.Select(v => v.ToString("g3")))}], g = [{string.Join(", ", m.GradientRms.Select(v => v.ToString("g3")))}] -> {m.Reason ?? "passes"}");
        return m;
    }

    [Theory]
    [InlineData("x * sigmoid(x)")]
    [InlineData("relu(x)")]
    [InlineData("tanh(x)")]
    [InlineData("x * tanh(softplus(x))")]
    public void Stability_probe_passes_the_usual_activations(string formula) => Assert.Null(Measure(formula).Reason);

    [Theory]
    [InlineData(Baselines.EvoNormS0)]
    [InlineData(Baselines.EvoNormB0)]
    public void Stability_probe_passes_the_EvoNorm_layers(string formula) => Assert.Null(Measure(formula, layer: true).Reason);

    [Theory]
    [InlineData("3 * x", "signal explodes through depth at init: input RMS grows ")]
    [InlineData("0.1 * x", "signal vanishes through depth at init: input RMS falls to ")]
    [InlineData("exp(x)", "Inf in the forward pass at init (block ")]
    [InlineData("0.02 * x + 1", "gradients vanish through depth at init: gradient RMS falls to ")]
    public void Stability_probe_rejects_clearly_unstable_activations(string formula, string reason)
    {
        string? actual = Measure(formula).Reason;
        Assert.NotNull(actual);
        Assert.StartsWith(reason, actual);
    }

    [Fact]
    public void Stability_probe_is_the_same_on_every_run()
    {
        var a = Measure("x * sigmoid(beta * x)");
        var b = Measure("x * sigmoid(beta * x)");
        Assert.Equal(a.InputRms, b.InputRms);
        Assert.Equal(a.GradientRms, b.GradientRms);
    }

    [Fact]
    public void Quality_probe_rejects_a_near_constant_activation_and_passes_swish()
    {
        var probe = new QualityProbe(new QualityProbeSettings(), new ProxyTrainer(CPU));
        // 0.001 x + 1 varies too little for the numeric probe to call it constant, but nothing learns through it.
        Assert.Equal("reaches 10% held-out accuracy on fmnist-mlp after 100 steps (minimum 20%)", probe.Check(ChainCandidate.Parse("0.001 * x + 1"), default));
        Assert.Null(probe.Check(ChainCandidate.Parse("x * sigmoid(x)"), default));
    }

    private static readonly EvaluationPlan Quick = new() { Tasks = ["tabular-mlp", "regression"], Steps = 20, Seeds = 2, LatencyRepeats = 3 };

    private static readonly RejectionChainSettings QuickQuality = new() { Quality = new QualityProbeSettings { Task = "tabular-mlp", Steps = 20, MinAccuracy = 0.5 } };

    [Fact]
    public void Every_stage_runs_in_order_and_an_unstable_candidate_stops_at_the_stability_probe()
    {
        var result = new CandidateEvaluator(CPU, QuickQuality).Evaluate(ChainCandidate.Parse("3 * x + 0.01 * square(x)"), Quick);
        var rejected = Assert.IsType<EvaluationOutcome.Rejected>(result.Outcome);
        Assert.Equal(StageNames.Stability, rejected.Stage);
        Assert.Equal([StageNames.Static, StageNames.Numeric, StageNames.Duplicate, StageNames.Stability], result.Stages.Select(s => s.Stage));
        Assert.All(result.Stages, s => Assert.True(s.Time > TimeSpan.Zero));
    }

    [Fact]
    public void A_full_evaluation_returns_every_objective_with_seed_and_device()
    {
        var result = new CandidateEvaluator(CPU, QuickQuality).Evaluate(ChainCandidate.Parse("x * sigmoid(x)"), Quick);
        var scores = Assert.IsType<EvaluationOutcome.Evaluated>(result.Outcome).Scores;
        output.WriteLine(string.Join("\n", result.Stages));
        Assert.Equal([StageNames.Static, StageNames.Numeric, StageNames.Duplicate, StageNames.Stability, StageNames.Quality, StageNames.Evaluation],
            result.Stages.Select(s => s.Stage));
        Assert.Equal("x * sigmoid(x)", scores.Canonical);
        Assert.Equal("activation", scores.Kind);
        Assert.Equal(4, scores.Complexity);
        Assert.Equal(13, scores.FlopsPerElement);
        Assert.Equal("cpu", scores.Device);
        Assert.True(scores.Latency.Median > TimeSpan.Zero);
        Assert.Equal(64 * 32 * 14 * 14, scores.Latency.Elements);
        Assert.Equal([("tabular-mlp", 1UL), ("tabular-mlp", 2UL), ("regression", 1UL), ("regression", 2UL)], scores.Results.Select(r => (r.Task, r.Seed)));
        Assert.All(scores.Results, r =>
        {
            Assert.Equal("cpu", r.Device);
            Assert.Equal(20, r.Steps);
            Assert.True(r.ParameterCount > 0);
            Assert.InRange(r.ActivationSparsity, 0, 1);
        });
        Assert.InRange(scores.Results[0].Accuracy, 0.5, 1);
        Assert.True(double.IsFinite(scores.Results[2].Loss));
        var tabular = scores.Summaries[0];
        Assert.Equal(("tabular-mlp", 2, TaskMetric.Accuracy), (tabular.Task, tabular.Seeds, tabular.Metric));
        Assert.True(tabular.Std >= 0);
    }

    [Fact]
    public void Same_seed_and_device_give_identical_scores()
    {
        var plan = Quick with { Tasks = ["tabular-mlp"], Seeds = 1 };
        ProxyTaskResult Once() => Assert.IsType<EvaluationOutcome.Evaluated>(
            new CandidateEvaluator(CPU, QuickQuality).Evaluate(ChainCandidate.Parse("x * sigmoid(beta * x)"), plan).Outcome).Scores.Results[0];
        var a = Once();
        var b = Once();
        Assert.Equal((a.Accuracy, a.Loss, a.FinalTrainLoss, a.ActivationSparsity), (b.Accuracy, b.Loss, b.FinalTrainLoss, b.ActivationSparsity));
    }

    [Fact]
    public void Relu_networks_are_sparser_than_swish_networks()
    {
        var task = ProxyTasks.Get("tabular-mlp");
        task = task with { Spec = task.Spec.WithSteps(20) };
        var trainer = new ProxyTrainer(CPU);
        double relu = trainer.Run(task, Slots.For(ChainCandidate.Parse("relu(x)").Expr)).ActivationSparsity;
        double swish = trainer.Run(task, Slots.For(ChainCandidate.Parse("x * sigmoid(x)").Expr)).ActivationSparsity;
        output.WriteLine($"sparsity: relu {relu:P1}, swish {swish:P1}");
        Assert.InRange(relu, 0.2, 0.9); // exact zeros for negative inputs
        Assert.InRange(swish, 0, 0.05); // near zero only around x = 0
    }

    [Fact]
    public void The_identity_trains_inside_a_sequential_network()
    {
        // Sequential disposes each intermediate result; a candidate returning its input tensor itself broke that.
        var task = ProxyTasks.Get("tabular-mlp");
        var result = new ProxyTrainer(CPU).Run(task with { Spec = task.Spec.WithSteps(5) }, Slots.For(ChainCandidate.Parse("x").Expr));
        Assert.False(result.Diverged);
    }
}
