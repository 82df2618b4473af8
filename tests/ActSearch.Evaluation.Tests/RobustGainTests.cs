using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Tasks;

namespace ActSearch.Evaluation.Tests;

/// <summary>
/// The robust objective: the worst task's gain over that task's reference score, as the share of the reference's error (or
/// loss) the candidate removes, so a gain on one task cannot hide a collapse on another.
/// </summary>
public sealed class RobustGainTests
{
    private static ProxyTaskResult Run(string task, double value, ulong seed = 1)
    {
        var spec = TaskCatalog.Get(task);
        return new ProxyTaskResult
        {
            Task = task, Seed = seed, Device = "cpu", Metric = spec.Metric, Steps = spec.Steps, ParameterCount = 100, WallTime = TimeSpan.FromSeconds(1),
            Accuracy = spec.Metric == TaskMetric.Accuracy ? value : double.NaN, Loss = spec.Metric == TaskMetric.Loss ? value : 0.5,
        };
    }

    private static double Reference(string task) => TaskCatalog.Get(task).Reference!.Value;

    [Fact]
    public void A_collapse_on_one_task_decides_the_value_whatever_the_gain_elsewhere()
    {
        double cnn = Reference("fmnist-cnn");
        // 2 points above the reference on fmnist-cnn: about an eighth of its remaining error removed.
        var better = Run("fmnist-cnn", cnn + 0.02);
        Assert.Equal(0.02 / (1 - cnn), ObjectiveRegistry.WorstGain([better])!.Value, 12);
        // The same function at chance on the 20-layer network (the gp-activation finding).
        double deep = Reference("deep-mlp");
        double collapse = ((1 - deep) - 0.9) / (1 - deep);
        Assert.Equal(collapse, ObjectiveRegistry.WorstGain([better, Run("deep-mlp", 0.1)])!.Value, 12);
        Assert.True(collapse < -2.5, $"{collapse}");
        // Level on both: 0.
        Assert.Equal(0, ObjectiveRegistry.WorstGain([Run("fmnist-cnn", cnn), Run("deep-mlp", deep)])!.Value, 12);
    }

    [Fact]
    public void Seeds_are_averaged_per_task_and_a_loss_task_gains_by_a_lower_loss()
    {
        double lm = Reference("charlm-transformer");
        var runs = new[] { Run("charlm-transformer", lm - 0.1, 1), Run("charlm-transformer", lm - 0.3, 2) };
        Assert.Equal(0.2 / lm, ObjectiveRegistry.WorstGain(runs)!.Value, 12);
        Assert.Equal(-0.1 / lm, ObjectiveRegistry.WorstGain([Run("charlm-transformer", lm + 0.1)])!.Value, 12);
        Assert.Equal(double.NegativeInfinity, ObjectiveRegistry.WorstGain([Run("charlm-transformer", double.NaN)]));
    }

    [Fact]
    public void Without_runs_or_with_a_task_that_has_no_reference_it_cannot_be_measured()
    {
        Assert.Null(ObjectiveRegistry.WorstGain([]));
        Assert.Null(ObjectiveRegistry.WorstGain([Run("fmnist-cnn", 0.85), Run("regression", 0.1)]));
        Assert.Null(ObjectiveRegistry.Find(ObjectiveRegistry.RobustGain)!.Measure(new Measurements(ActSearch.Expressions.ExprParser.Parse("x"), [])));
    }

    [Fact]
    public void Every_reference_is_a_score_of_its_tasks_metric_and_says_where_it_was_measured()
    {
        foreach (var t in TaskCatalog.All.Where(t => t.Reference is not null))
        {
            var r = t.Reference!;
            Assert.False(string.IsNullOrWhiteSpace(r.Function));
            Assert.False(string.IsNullOrWhiteSpace(r.Source));
            if (t.Metric == TaskMetric.Accuracy) Assert.InRange(r.Value, 0.1, 1.0);
            else Assert.InRange(r.Value, 0.01, 10.0);
        }
        Assert.Equal(["regression"], TaskCatalog.All.Where(t => t.Reference is null).Select(t => t.Name));
    }
}
