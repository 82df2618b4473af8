using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Tests;

/// <summary>The task catalog and the objective registry: the one declaration of each, and how objectives are read.</summary>
public sealed class VocabularyTests
{
    private static readonly Expr Swish = ExprParser.Parse("x * sigmoid(beta * x)");

    private static ProxyTaskResult Run(string task, double accuracy, double loss, double sparsity = double.NaN, bool diverged = false) => new()
    {
        Task = task, Seed = 1, Device = "cpu", Metric = TaskMetric.Accuracy, Accuracy = accuracy, Loss = loss, ActivationSparsity = sparsity,
        Steps = 10, ParameterCount = 1, WallTime = TimeSpan.Zero, Diverged = diverged,
    };

    [Fact]
    public void Task_names_are_unique_and_every_task_says_what_it_trains_on()
    {
        Assert.Equal(TaskCatalog.Names.Length, TaskCatalog.Names.Distinct().Count());
        Assert.All(TaskCatalog.All, t => Assert.False(string.IsNullOrWhiteSpace(t.Description) || string.IsNullOrWhiteSpace(t.Data), t.Name));
        Assert.Equal("layer", TaskCatalog.Get("fmnist-resnet").Slot);
        Assert.Equal("layer", TaskCatalog.Get("fmnist-vgg").Slot);
        Assert.Equal("layer", TaskCatalog.Get("fmnist-mobilenet").Slot);
        Assert.Equal("layer", TaskCatalog.Get("digits-cnn").Slot);
        Assert.Equal((TaskMetric.Loss, TaskLoss.MeanSquaredError), (TaskCatalog.Get("regression").Metric, TaskCatalog.Get("regression").Loss));
        Assert.Equal((TaskMetric.Loss, TaskLoss.CrossEntropy), (TaskCatalog.Get("charlm-transformer").Metric, TaskCatalog.Get("charlm-transformer").Loss));
        Assert.Equal(TaskLoss.CrossEntropy, TaskCatalog.Get("fmnist-mlp").Loss);
        Assert.True(TaskCatalog.Get("charlm-glu").GatedSlots);
        Assert.False(TaskCatalog.Get("charlm-transformer").GatedSlots);
        Assert.Contains("known: charlm-glu, charlm-transformer, deep-mlp, digits-cnn, digits-mlp, fmnist-cnn", Assert.Throws<KeyNotFoundException>(() => TaskCatalog.Get("cifar")).Message);
    }

    [Fact]
    public void Objectives_have_their_natural_direction_and_only_training_ones_are_per_task()
    {
        Assert.Equal(ObjectiveDirection.Maximize, ObjectiveRegistry.DirectionOf("accuracy@fmnist-cnn"));
        Assert.Equal(ObjectiveDirection.Maximize, ObjectiveRegistry.DirectionOf("sparsity"));
        Assert.Equal(ObjectiveDirection.Minimize, ObjectiveRegistry.DirectionOf("latency"));
        Assert.Null(ObjectiveRegistry.DirectionOf("mse"));
        Assert.Equal(["accuracy", "loss", "sparsity"], ObjectiveRegistry.All.Where(o => o.PerTask).Select(o => o.Name));
    }

    [Fact]
    public void Values_are_read_per_task_from_the_runs_and_from_the_formula_in_the_objectives_order()
    {
        Objective[] objectives =
        [
            new("accuracy", ObjectiveDirection.Maximize, "a"), new("loss", ObjectiveDirection.Minimize, "b"),
            new("sparsity", ObjectiveDirection.Maximize, "a"), new("complexity", ObjectiveDirection.Minimize),
            new("parameters", ObjectiveDirection.Minimize), new("latency", ObjectiveDirection.Minimize),
        ];
        ProxyTaskResult[] runs = [Run("a", 0.8, 0.5, 0.1), Run("a", 0.6, 0.7, 0.3, diverged: true), Run("b", 0.9, 0.25)];
        var latency = new Latency(TimeSpan.FromMicroseconds(42), "(1)", 1, 3);

        Assert.True(ObjectiveRegistry.TryMeasure(objectives, Swish, runs, latency, "Test", out var values, out var error), error);
        // A diverged run counts 0 accuracy; loss@b reads task b's run only.
        Assert.Equal([0.4, 0.25, 0.2, Swish.Complexity(), 1, 42], values.Select(v => Math.Round(v, 9)));
    }

    [Fact]
    public void An_objective_the_scorer_did_not_measure_is_an_error_naming_the_scorer_and_the_objective()
    {
        ProxyTaskResult[] runs = [Run("a", 0.8, 0.5)];
        Assert.False(ObjectiveRegistry.TryMeasure([new Objective("latency", ObjectiveDirection.Minimize)], Swish, runs, null, "The CPU scorer", out _, out var error));
        Assert.Equal("The CPU scorer cannot measure the objective 'latency'.", error);
        Assert.False(ObjectiveRegistry.TryMeasure([new Objective("accuracy", ObjectiveDirection.Maximize, "z")], Swish, runs, null, "X", out _, out error));
        Assert.Equal("The objective 'accuracy@z' names a task that was not trained.", error);
        Assert.False(ObjectiveRegistry.TryMeasure([new Objective("mse", ObjectiveDirection.Minimize)], Swish, runs, null, "X", out _, out error));
        Assert.Equal("X cannot measure the objective 'mse'.", error);
    }
}
