using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ActSearch.Cli.Tests;

/// <summary>`actsearch evaluate` and `actsearch baselines`, in-process. Training runs use tiny step budgets.</summary>
public class EvaluateCommandTests
{
    [Theory]
    [InlineData("exp(exp(exp(x)))", "explodes: overflows to +Inf at ")]
    [InlineData("x - x", "output is constant (std 0 over the probe)")]
    [InlineData("log(x)", "produces NaN at 48% of probe inputs (e.g. x = -0.3)")]
    public void The_numeric_probe_rejects_the_classic_failures_quickly_with_distinct_reasons(string formula, string reason)
    {
        var clock = Stopwatch.StartNew();
        var (code, output, _) = CliRunner.Run("evaluate", formula);
        clock.Stop();
        Assert.Equal(0, code);
        Assert.Contains($"rejected by the numeric stage: {reason}", output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{formula}: {clock.Elapsed}");

        var json = JsonNode.Parse(CliRunner.Run("evaluate", formula, "--json").Out)!;
        Assert.Equal("rejected", (string?)json["outcome"]);
        Assert.Equal("numeric", (string?)json["stage"]);
        Assert.StartsWith(reason, (string?)json["reason"]);
        Assert.Equal(["static", "numeric"], json["stages"]!.AsArray().Select(s => (string?)s!["stage"]));
    }

    [Fact]
    public void Json_of_an_evaluated_candidate_carries_every_objective_per_task_and_seed()
    {
        var (code, output, error) = CliRunner.Run("evaluate", "x * sigmoid(x)", "--task", "tabular-mlp", "--seeds", "2", "--steps", "10", "--json");
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        var json = JsonNode.Parse(output)!;
        Assert.Equal("evaluated", (string?)json["outcome"]);
        Assert.Equal("x * sigmoid(x)", (string?)json["canonical"]);
        Assert.Equal("activation", (string?)json["kind"]);
        Assert.Equal(["static", "numeric", "duplicate", "stability", "quality", "evaluation"], json["stages"]!.AsArray().Select(s => (string?)s!["stage"]));
        var scores = json["scores"]!;
        Assert.Equal(4, (int)scores["complexity"]!);
        Assert.Equal(13, (double)scores["flops_per_element"]!);
        Assert.True((double)scores["latency"]!["median_us"]! > 0);
        Assert.Equal("cpu", (string?)scores["device"]);
        var task = scores["tasks"]!.AsArray().Single()!;
        Assert.Equal(("tabular-mlp", "accuracy", 2), ((string?)task["task"], (string?)task["metric"], (int)task["seeds"]!));
        var runs = scores["runs"]!.AsArray();
        Assert.Equal([1, 2], runs.Select(r => (int)r!["seed"]!));
        Assert.All(runs, r =>
        {
            Assert.Equal("cpu", (string?)r!["device"]);
            Assert.InRange((double)r["accuracy"]!, 0, 1);
            Assert.InRange((double)r["sparsity"]!, 0, 1);
            Assert.True((long)r["parameters"]! > 0);
        });
    }

    [Fact]
    public void The_text_output_names_the_stage_and_prints_the_scores_table()
    {
        var (code, output, _) = CliRunner.Run("evaluate", "tanh(x)", "--task", "regression", "--steps", "10");
        Assert.Equal(0, code);
        Assert.Contains("evaluated", output);
        Assert.Contains("regression  loss", output);
        Assert.Contains("stages: static ", output);
    }

    [Theory]
    [InlineData(new[] { "evaluate", "x +" }, "actsearch evaluate: formula ")]
    [InlineData(new[] { "evaluate", "x", "--task", "cifar" }, "actsearch evaluate: unknown task 'cifar'; known: charlm-glu, charlm-transformer, deep-mlp, ")]
    [InlineData(new[] { "evaluate", "x", "--seeds", "0" }, "actsearch evaluate: option --seeds must be a whole number from 1 to 100, got '0'.")]
    [InlineData(new[] { "evaluate" }, "actsearch evaluate: missing the formula")]
    [InlineData(new[] { "baselines", "--only", "swish2" }, "actsearch baselines: unknown baseline 'swish2'; known: relu, ")]
    public void User_errors_exit_2_with_one_line(string[] args, string message)
    {
        var (code, output, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith(message, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Baselines_prints_mean_and_std_per_task()
    {
        var (code, output, error) = CliRunner.Run("baselines", "--task", "regression", "--seeds", "2", "--steps", "5", "--only", "relu", "--only", "gelu");
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("mean ± std over 2 seed(s) on cpu", lines[0]);
        Assert.StartsWith("baseline", lines[1]);
        Assert.Contains("regression", lines[1]);
        Assert.Contains("params", lines[1]);
        Assert.Contains("flops", lines[1]);
        Assert.Matches(@"^relu\s+\d+\.\d{4} ± \d+\.\d{4}\s+0\s+1\s+relu\(x\)$", lines[2]); // no learnable number, one operation
        Assert.StartsWith("gelu", lines[3]);

        var json = JsonNode.Parse(CliRunner.Run("baselines", "--task", "regression", "--seeds", "1", "--steps", "5", "--only", "elu", "--json").Out)!;
        var row = json["rows"]!.AsArray().Single()!;
        Assert.Equal("max(x, 0) + exp(min(x, 0)) - 1", (string?)row["formula"]);
        Assert.Equal(0, (int)row["parameters"]!);
        Assert.Equal(14, (double)row["flops_per_element"]!);
        Assert.Equal("regression", (string?)row["results"]![0]!["task"]);
    }
}
