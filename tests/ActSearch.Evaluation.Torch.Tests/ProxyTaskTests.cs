using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

public class ProxyTaskTests(ITestOutputHelper output)
{
    static ProxyTaskTests() => TestTorch.Init();

    private static readonly ProxyTrainer Trainer = new(CPU);

    private static readonly ParseOptions Layer = new() { DefaultParameterShape = ParameterShape.PerChannel };

    [Fact]
    public void The_issue_names_every_task()
    {
        Assert.Equal(["deep-mlp", "digits-mlp", "fmnist-cnn", "fmnist-mlp", "fmnist-resnet", "regression", "tabular-mlp"], ProxyTasks.All.Keys.Order());
        Assert.Contains("known: ", Assert.Throws<KeyNotFoundException>(() => ProxyTasks.Get("cifar")).Message);
    }

    [Fact]
    public void Every_catalog_task_has_a_network_and_its_spec_is_the_catalogs()
    {
        Assert.Equal(TaskCatalog.Names.Order(), ProxyTasks.All.Keys.Order());
        foreach (var spec in TaskCatalog.All) Assert.Same(spec, ProxyTasks.Get(spec.Name).Spec);
    }

    [Theory]
    [InlineData("fmnist-mlp", "x * sigmoid(x)", 40, 0.4)]
    [InlineData("fmnist-cnn", "relu(x)", 40, 0.4)]
    [InlineData("fmnist-resnet", CompilerTests.EvoNormS0, 10, 0.15)]
    [InlineData("tabular-mlp", "x * sigmoid(v1 * x)", 60, 0.8)]
    [InlineData("digits-mlp", "relu(x)", 100, 0.85)]
    [InlineData("deep-mlp", "tanh(x)", 20, 0.3)]
    [InlineData("regression", "x * sigmoid(x)", 100, 0)]
    public void Every_task_trains_a_candidate_and_reports_its_measurements(string name, string formula, int steps, double minAccuracy)
    {
        var task = ProxyTasks.Get(name);
        task = task with { Spec = task.Spec.WithSteps(steps) };
        var candidate = ExprParser.Parse(formula, task.Spec.NormActivationSlots ? Layer : null);
        var result = Trainer.Run(task, Slots.For(candidate));
        output.WriteLine($"{name} {formula}: {result}");
        Assert.False(result.Diverged);
        Assert.Equal(steps, result.Steps);
        Assert.True(result.ParameterCount > 0);
        Assert.True(result.WallTime > TimeSpan.Zero);
        Assert.Equal("cpu", result.Device);
        // Chance is 0.1 on Fashion-MNIST and 0.63 (majority class) on the breast-cancer table.
        if (result.Metric == TaskMetric.Accuracy) Assert.InRange(result.Accuracy, minAccuracy, 1.0);
        else Assert.True(result.Loss < 1.0, $"regression MSE {result.Loss}");
    }

    [Fact]
    public void Same_seed_same_device_gives_identical_scores()
    {
        var task = ProxyTasks.Get("tabular-mlp");
        task = task with { Spec = task.Spec.WithSteps(30) };
        var slot = Slots.For(ExprParser.Parse("x * sigmoid(beta * x)"));
        var a = Trainer.Run(task, slot);
        var b = Trainer.Run(task, slot);
        var c = Trainer.Run(task with { Spec = task.Spec.WithSeed(2) }, slot);
        Assert.Equal(a.Loss, b.Loss);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.NotEqual(a.Loss, c.Loss);
    }

    [Fact]
    public void Diverging_candidates_stop_early_and_score_zero()
    {
        var task = ProxyTasks.Get("tabular-mlp");
        var result = Trainer.Run(task, Slots.For(ExprParser.Parse("log(x)")));
        Assert.True(result.Diverged);
        Assert.Equal(0, result.Score);
        Assert.Equal(double.PositiveInfinity, result.Loss);
    }

    [Fact]
    public async Task Async_runs_train_on_a_dedicated_thread()
    {
        var task = ProxyTasks.Get("regression");
        task = task with { Spec = task.Spec.WithSteps(5) };
        int caller = Environment.CurrentManagedThreadId;
        var result = await Trainer.RunAsync(task, Slots.BuiltInRelu);
        Assert.Equal(5, result.Steps);
        Assert.True(caller > 0);
    }
}
