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
        Assert.Equal(["charlm-glu", "charlm-transformer", "deep-mlp", "digits-cnn", "digits-mlp", "fmnist-cnn", "fmnist-mlp", "fmnist-mobilenet", "fmnist-resnet", "fmnist-vgg", "regression", "tabular-mlp"],
            ProxyTasks.All.Keys.Order());
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
    [InlineData("fmnist-vgg", CompilerTests.EvoNormS0, 20, 0.15)]
    [InlineData("fmnist-mobilenet", CompilerTests.EvoNormS0, 20, 0.15)]
    [InlineData("tabular-mlp", "x * sigmoid(v1 * x)", 60, 0.8)]
    [InlineData("digits-mlp", "relu(x)", 100, 0.85)]
    [InlineData("digits-cnn", CompilerTests.EvoNormS0, 60, 0.85)]
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

    /// <summary>
    /// The language-model tasks learn the text: a uniform guess over the 96 symbols costs ln 96 = 4.56 nats per character,
    /// the training text's character frequencies alone about 3.0; 60 steps already beat both.
    /// </summary>
    [Theory]
    [InlineData("charlm-transformer", "relu(x)")]
    [InlineData("charlm-glu", "x * sigmoid(x)")]
    public void Language_model_tasks_report_held_out_cross_entropy_per_character(string name, string formula)
    {
        var task = ProxyTasks.Get(name);
        Assert.Equal(TaskMetric.Loss, task.Spec.Metric);
        Assert.Equal(TaskLoss.CrossEntropy, task.Spec.Loss);
        var result = Trainer.Run(task with { Spec = task.Spec.WithSteps(60) }, Slots.For(ExprParser.Parse(formula)));
        output.WriteLine($"{name} {formula}: {result}");
        Assert.False(result.Diverged);
        Assert.True(double.IsNaN(result.Accuracy));
        Assert.InRange(result.Loss, 1.0, 2.9);
        Assert.Equal(-result.Loss, result.Score);
        Assert.InRange(result.ActivationSparsity, 0.0, 1.0);
    }

    [Fact]
    public void The_transformer_is_causal_a_later_character_never_changes_an_earlier_prediction()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = ProxyNetworks.CharTransformer(Slots.BuiltInRelu, vocabulary: 96, context: 16);
        model.eval();
        var ids = randint(0, 96, [2, 16]).to(ScalarType.Float32);
        var changed = ids.clone();
        changed[TensorIndex.Colon, TensorIndex.Slice(10)] = (changed[TensorIndex.Colon, TensorIndex.Slice(10)] + 1) % 96;
        using var _ = no_grad();
        var a = model.forward(ids);
        var b = model.forward(changed);
        Assert.Equal([2L, 16, 96], a.shape);
        Assert.True(a[TensorIndex.Colon, TensorIndex.Slice(0, 10)].allclose(b[TensorIndex.Colon, TensorIndex.Slice(0, 10)], rtol: 1e-6, atol: 1e-6));
        Assert.False(a[TensorIndex.Colon, TensorIndex.Slice(10)].allclose(b[TensorIndex.Colon, TensorIndex.Slice(10)], rtol: 1e-3, atol: 1e-3));
    }

    /// <summary>
    /// The gated block computes W2 (a * f(b)) with f the slot: with f the identity and the plain block's f as
    /// a * b, the same slot is seen by both halves of the projection the way the GLU papers define it.
    /// </summary>
    [Fact]
    public void The_gated_block_multiplies_the_first_half_of_the_projection_by_the_slot_of_the_second()
    {
        using var scope = NewDisposeScope();
        var seen = new List<long[]>();
        SlotFactory recording = channels => new ShapeRecorder(seen);
        manual_seed(5);
        using var gated = ProxyNetworks.CharTransformer(recording, vocabulary: 96, context: 8, layers: 1, hidden: 172, gated: true);
        gated.forward(zeros(3, 8));
        // One slot per block, seeing [positions, hidden] (channels on dimension 1) of the b half only.
        Assert.Equal([24L, 172], Assert.Single(seen));
        long Parameters(nn.Module<Tensor, Tensor> m) => m.parameters().Sum(p => p.numel());
        using var plain = ProxyNetworks.CharTransformer(Slots.BuiltInRelu, vocabulary: 96, context: 8, layers: 1);
        // Hidden 172 in the gated block keeps the feed-forward parameters within 2% of the 256-wide plain block.
        Assert.InRange((double)Parameters(gated) / Parameters(plain), 0.98, 1.02);
    }

    private sealed class ShapeRecorder(List<long[]> seen) : nn.Module<Tensor, Tensor>("ShapeRecorder")
    {
        public override Tensor forward(Tensor x)
        {
            seen.Add(x.shape);
            return x;
        }
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
