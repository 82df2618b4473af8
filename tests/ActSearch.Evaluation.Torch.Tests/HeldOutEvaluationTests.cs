using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.HeldOut;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Evaluation.Torch.Scheduling;
using ActSearch.Expressions;
using TorchSharp;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>The held-out evaluation: which tasks count as held out, how rows are ranked, and what the verdicts say.</summary>
public class HeldOutEvaluationTests
{
    private static HeldOutRow Row(string name, bool baseline, double mean, double std, int seeds = 5, TaskMetric metric = TaskMetric.Accuracy) =>
        new(name, name, baseline, new TaskSummary("t", metric, seeds, mean, std, double.NaN, 1000, TimeSpan.FromSeconds(1)));

    [Fact]
    public void Default_held_out_tasks_leave_out_the_search_tasks_regression_and_the_other_kind()
    {
        Assert.Equal(["charlm-glu", "charlm-transformer", "deep-mlp", "digits-mlp", "fmnist-cnn", "tabular-mlp"], HeldOutEvaluation.DefaultTasks(["fmnist-mlp"], layer: false));
        Assert.Equal(["charlm-glu", "charlm-transformer", "deep-mlp", "digits-mlp", "fmnist-mlp", "tabular-mlp"], HeldOutEvaluation.DefaultTasks(["fmnist-cnn", "regression"], layer: false));
        Assert.Equal(["digits-cnn", "fmnist-mobilenet", "fmnist-vgg"], HeldOutEvaluation.DefaultTasks(["fmnist-resnet"], layer: true));
        Assert.Empty(HeldOutEvaluation.DefaultTasks(["fmnist-resnet", "fmnist-vgg", "fmnist-mobilenet", "digits-cnn"], layer: true));
        Assert.True(HeldOutEvaluation.Accepts("fmnist-resnet", layer: true));
        Assert.False(HeldOutEvaluation.Accepts("tabular-mlp", layer: true));
    }

    [Fact]
    public void Standard_baselines_are_the_seven_usual_activations_with_the_gate_only_forms_or_the_layer_references()
    {
        Assert.Equal(["relu", "gelu", "silu", "mish", "elu", "selu", "tanh", "glu", "bilinear"], HeldOutEvaluation.StandardBaselines(false).Select(b => b.Name));
        Assert.Equal(["bn_relu", "evonorm_s0", "evonorm_b0"], HeldOutEvaluation.StandardBaselines(true).Select(b => b.Name));
        Assert.Equal(HeldOutEvaluation.StandardBaselines(false), HeldOutEvaluation.BaselinesFor(HeldOutProtocol.Standard, false));
        Assert.Equal(Baselines.Activations, HeldOutEvaluation.BaselinesFor(HeldOutProtocol.Evidence, false));
        Assert.Contains(HeldOutEvaluation.BaselinesFor(HeldOutProtocol.Evidence, false), b => b.Name == "polyrelu");
    }

    [Fact]
    public void A_found_function_clearly_above_the_best_baseline_is_significantly_better()
    {
        var t = HeldOutEvaluation.Compare("t", [Row("relu", true, 0.80, 0.005), Row("gelu", true, 0.81, 0.005), Row("#4", false, 0.85, 0.005)]);
        Assert.Equal(["#4", "gelu", "relu"], t.Rows.Select(r => r.Name));
        Assert.Equal("gelu", t.BestBaseline);
        Assert.Equal(HeldOutVerdict.SignificantlyBetter, t.Best!.Verdict);
        Assert.Equal(0.04, t.Best.Difference, 12);
        Assert.True(t.Best.Test.PValue < 1e-4);
        Assert.Contains("significantly better than the best baseline gelu", HeldOutEvaluation.Describe(t.Best));
    }

    [Fact]
    public void Transfer_counts_wins_ties_and_losses_per_found_function_and_the_bar_is_two_wins_and_no_loss()
    {
        // #4: better on a and b, tied on c; #7: better on a and b, worse on c; #9: better on a only.
        var a = HeldOutEvaluation.Compare("a", [Row("relu", true, 0.80, 0.005), Row("#4", false, 0.85, 0.005), Row("#7", false, 0.86, 0.005), Row("#9", false, 0.84, 0.005)]);
        var b = HeldOutEvaluation.Compare("b", [Row("relu", true, 0.80, 0.005), Row("#4", false, 0.85, 0.005), Row("#7", false, 0.85, 0.005), Row("#9", false, 0.80, 0.005)]);
        var c = HeldOutEvaluation.Compare("c", [Row("relu", true, 0.80, 0.02), Row("#4", false, 0.805, 0.02), Row("#7", false, 0.70, 0.005), Row("#9", false, 0.79, 0.02)]);
        var transfer = new HeldOutResult([a, b, c], 5, null, "cpu", 0.05).Transfer.ToDictionary(t => t.Candidate);

        Assert.Equal(new TransferRow("#4", 2, 1, 0), transfer["#4"]);
        Assert.Equal(new TransferRow("#7", 2, 0, 1), transfer["#7"]);
        Assert.Equal(new TransferRow("#9", 1, 2, 0), transfer["#9"]);
        Assert.True(transfer["#4"].ClearsTheBar);
        Assert.StartsWith("#4 transfers: significantly better than the best baseline on 2", transfer["#4"].Verdict);
        Assert.False(transfer["#7"].ClearsTheBar);
        Assert.StartsWith("#7 does NOT transfer: significantly worse than the best baseline on 1", transfer["#7"].Verdict);
        Assert.StartsWith("#9 does NOT clear the bar: significantly better on 1 held-out task(s), 2 needed", transfer["#9"].Verdict);
    }

    [Fact]
    public void A_task_a_function_was_selected_on_does_not_count_in_its_transfer()
    {
        // #4 wins on a and b; it was selected on a, so one held-out win is left: below the bar. #7 was selected elsewhere.
        var a = HeldOutEvaluation.Compare("a", [Row("relu", true, 0.80, 0.005), Row("#4", false, 0.85, 0.005), Row("#7", false, 0.85, 0.005)]);
        var b = HeldOutEvaluation.Compare("b", [Row("relu", true, 0.80, 0.005), Row("#4", false, 0.85, 0.005), Row("#7", false, 0.85, 0.005)]);
        var result = new HeldOutResult([a, b], 5, null, "cpu", 0.05) { SelectedOn = new Dictionary<string, IReadOnlyList<string>> { ["#4"] = ["a"], ["#7"] = ["z"] } };
        var transfer = result.Transfer.ToDictionary(t => t.Candidate);

        Assert.Equal(new TransferRow("#4", 1, 0, 0), transfer["#4"]);
        Assert.False(transfer["#4"].ClearsTheBar);
        Assert.Equal(new TransferRow("#7", 2, 0, 0), transfer["#7"]);
        Assert.True(result.WasSelectedOn("#4", "a"));
        Assert.False(result.WasSelectedOn("#4", "b"));
        Assert.Equal(2, new HeldOutResult([a, b], 5, null, "cpu", 0.05).Transfer.Single(t => t.Candidate == "#4").Wins); // nothing selected: both count
    }

    [Fact]
    public void A_small_gain_inside_the_noise_is_reported_as_not_significantly_better()
    {
        var t = HeldOutEvaluation.Compare("t", [Row("relu", true, 0.80, 0.02), Row("#4", false, 0.805, 0.02)]);
        Assert.Equal(HeldOutVerdict.BetterNotSignificant, t.Best!.Verdict);
        Assert.True(t.Best.Test.PValue >= 0.05);
        Assert.Contains("NOT significantly better", HeldOutEvaluation.Describe(t.Best));
    }

    [Fact]
    public void A_found_function_below_the_best_baseline_is_reported_as_worse()
    {
        var t = HeldOutEvaluation.Compare("t", [Row("relu", true, 0.80, 0.002), Row("#4", false, 0.70, 0.002), Row("#9", false, 0.79, 0.05)]);
        Assert.Equal("#9", t.Best!.Candidate);   // the best found one first
        Assert.Equal(HeldOutVerdict.WorseNotSignificant, t.Best.Verdict);
        Assert.Equal(HeldOutVerdict.SignificantlyWorse, t.Comparisons.Single(c => c.Candidate == "#4").Verdict);
        Assert.Contains("significantly WORSE", HeldOutEvaluation.Describe(t.Comparisons[1]));
    }

    [Fact]
    public void The_same_mean_as_the_best_baseline_is_no_difference_not_a_gain_or_a_loss()
    {
        // What happens when a layer search re-finds EvoNorm-S0 and both train identically on the same seeds.
        var t = HeldOutEvaluation.Compare("t", [Row("evonorm_s0", true, 0.22, 0.13, seeds: 2), Row("#0", false, 0.22, 0.13, seeds: 2)]);
        Assert.Equal(HeldOutVerdict.NoDifference, t.Best!.Verdict);
        Assert.Equal(1, t.Best.Test.PValue, 12);
        Assert.Contains("NOT better than the best baseline evonorm_s0: exactly the same mean", HeldOutEvaluation.Describe(t.Best));
    }

    [Fact]
    public void For_a_loss_task_lower_is_better()
    {
        var t = HeldOutEvaluation.Compare("t", [Row("relu", true, 0.30, 0.01, metric: TaskMetric.Loss), Row("#2", false, 0.10, 0.01, metric: TaskMetric.Loss)]);
        Assert.Equal("#2", t.Rows[0].Name);
        Assert.Equal(HeldOutVerdict.SignificantlyBetter, t.Best!.Verdict);
        Assert.Equal(0.2, t.Best.Difference, 12);
    }

    [Fact]
    public void One_seed_gives_no_test_and_says_so()
    {
        var t = HeldOutEvaluation.Compare("t", [Row("relu", true, 0.80, 0, seeds: 1), Row("#4", false, 0.9, 0, seeds: 1)]);
        Assert.Equal(HeldOutVerdict.Untestable, t.Best!.Verdict);
        Assert.Contains("NOT shown to be better", HeldOutEvaluation.Describe(t.Best));
    }

    [Fact]
    public async Task A_found_function_and_baselines_are_really_trained_on_a_held_out_task_over_seeds()
    {
        TestTorch.Init();
        using var slots = new DeviceSlots(torch.CPU, slots: 2);
        var found = new HeldOutCandidate("#1", ExprParser.Parse("x * sigmoid(x) + 0.1 * x"));
        var baselines = HeldOutEvaluation.StandardBaselines(false).Where(b => b.Name is "relu" or "tanh").ToList();
        var result = await HeldOutEvaluation.RunAsync([found], baselines, ["tabular-mlp"], seeds: 2, steps: 15, slots);

        var task = Assert.Single(result.Tasks);
        Assert.Equal("tabular-mlp", task.Task);
        Assert.Equal(3, task.Rows.Count);
        Assert.All(task.Rows, r => Assert.Equal(2, r.Summary.Seeds));
        Assert.All(task.Rows, r => Assert.InRange(r.Summary.Mean, 0.3, 1.0));
        Assert.Contains(task.BestBaseline, new[] { "relu", "tanh" });
        var c = Assert.Single(task.Comparisons);
        Assert.Equal("#1", c.Candidate);
        Assert.Equal(2, result.Seeds);
        Assert.Equal(15, result.Steps);
    }

    [Theory]
    [InlineData("fmnist-mlp", 1.0 / 3, 1, 3)]
    [InlineData("fmnist-cnn", 1, 3, 9)] // 17 of 17 chose the top of 1/3, 1, 3
    [InlineData("charlm-transformer", 1, 3, 9)] // 34 of 35 functions chose the top of 1/3, 1, 3
    [InlineData("charlm-glu", 1, 3, 9)]
    [InlineData("digits-mlp", 1.0 / 9, 1.0 / 3, 1)] // 20 of 34 chose the bottom
    [InlineData("fmnist-resnet", 1.0 / 9, 1.0 / 3, 1)] // 3 of 5 layers chose the bottom
    [InlineData("fmnist-mobilenet", 1, 3, 9)] // 3 of 5 layers chose the top
    public void The_evidence_protocol_tries_three_rates_per_task_lowest_first_shifted_where_the_default_grid_held_functions_back(
        string task, double low, double mid, double high)
    {
        var spec = ProxyTasks.Get(task).Spec;
        var rates = HeldOutEvaluation.LearningRatesFor(spec);
        Assert.Equal([low * spec.LearningRate, mid * spec.LearningRate, high * spec.LearningRate], rates);
        Assert.Contains(spec.LearningRate, rates); // the task's own rate is always tried
    }

    [Fact]
    public async Task The_evidence_protocol_trains_each_function_at_the_rate_it_chose_on_validation_among_three()
    {
        TestTorch.Init();
        using var slots = new DeviceSlots(torch.CPU, slots: 2);
        var found = new HeldOutCandidate("#1", ExprParser.Parse("x * sigmoid(x) + 0.1 * x"));
        var baselines = HeldOutEvaluation.StandardBaselines(false).Where(b => b.Name is "relu").ToList();
        var spec = ProxyTasks.Get("tabular-mlp").Spec;
        Assert.Equal([spec.LearningRate / 3, spec.LearningRate, spec.LearningRate * 3], HeldOutEvaluation.LearningRatesFor(spec));

        var result = await HeldOutEvaluation.RunAsync([found], baselines, ["tabular-mlp"], seeds: 2, steps: 15, slots, protocol: HeldOutProtocol.Evidence);
        var again = await HeldOutEvaluation.ChooseLearningRatesAsync(
            [Baseline.Of("#1", found.Formula, found.Genome, false, "found"), .. baselines], ["tabular-mlp"], 15, slots);

        Assert.Equal(HeldOutProtocol.Evidence, result.Protocol);
        var task = Assert.Single(result.Tasks);
        Assert.All(task.Rows, r => Assert.Contains(r.LearningRate!.Value, HeldOutEvaluation.LearningRatesFor(spec)));
        // The choice is deterministic: the same validation runs choose the same rates.
        Assert.All(task.Rows, r => Assert.Equal(again[(r.Name, "tabular-mlp")], r.LearningRate));
    }

    [Fact]
    public void The_validation_split_is_a_tenth_of_the_training_data_disjoint_and_leaves_the_held_out_data_alone()
    {
        var data = ProxyTasks.Get("digits-mlp").Data();
        var split = ProxyTasks.ValidationSplit(data);
        Assert.Same(split, ProxyTasks.ValidationSplit(data));
        Assert.Equal(data.Train.Count, split.Train.Count + split.HeldOut.Count);
        Assert.Equal((int)Math.Round(data.Train.Count * ProxyTasks.ValidationShare), split.HeldOut.Count);
        // The two parts are the training examples, each exactly once (a partition): the held-out examples take no part.
        static IEnumerable<string> Rows(ActSearch.Evaluation.Data.Dataset d) => Enumerable.Range(0, d.Count).Select(i => string.Join(",", d.FeaturesOf(i).ToArray()));
        Assert.Equal(Rows(data.Train).Order(), Rows(split.Train).Concat(Rows(split.HeldOut)).Order());
        var definition = ProxyTasks.Get("digits-mlp").OnValidationSplit();
        Assert.Same(split, definition.Data());
    }
}
