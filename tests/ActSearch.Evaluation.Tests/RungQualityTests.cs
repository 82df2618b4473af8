using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;

namespace ActSearch.Evaluation.Tests;

/// <summary>EvoNorms' quality probe as the lowest fidelity rung: the rung's own runs decide.</summary>
public sealed class RungQualityTests
{
    private static ProxyTaskResult Run(string task, double accuracy, ulong seed = 1, bool diverged = false, int steps = 100) => new()
    {
        Task = task, Seed = seed, Device = "cpu", Metric = TaskMetric.Accuracy, Accuracy = accuracy, Diverged = diverged,
        Steps = steps, ParameterCount = 10, WallTime = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void Runs_above_the_minimum_on_every_task_pass()
    {
        Assert.Null(RungQuality.Check([Run("fmnist-mlp", 0.6), Run("fmnist-cnn", 0.2)], 0.2));
    }

    [Fact]
    public void The_first_task_below_the_minimum_is_named_with_its_steps_and_seeds()
    {
        string? why = RungQuality.Check([Run("fmnist-mlp", 0.6), Run("fmnist-cnn", 0.3, 1), Run("fmnist-cnn", 0.05, 2)], 0.2);
        Assert.Equal("reaches 17.5% held-out accuracy on fmnist-cnn after 100 steps, mean of 2 seeds (minimum 20%, fidelity rung 0)", why);
    }

    [Fact]
    public void A_diverged_run_counts_zero_and_loss_tasks_are_not_judged()
    {
        Assert.Contains("0% held-out accuracy on digits-mlp after 40 steps",
            RungQuality.Check([Run("digits-mlp", 0.9, diverged: true, steps: 40)], 0.1));
        var regression = new ProxyTaskResult
        {
            Task = "regression", Seed = 1, Device = "cpu", Metric = TaskMetric.Loss, Loss = 99, Steps = 100, ParameterCount = 1, WallTime = TimeSpan.Zero,
        };
        Assert.Null(RungQuality.Check([regression], 0.9));
    }
}
