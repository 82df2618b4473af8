using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;

namespace ActSearch.Cli;

/// <summary>`actsearch evaluate`: the rejection chain and proxy training for one candidate.</summary>
public sealed class EvaluateCommand : ICommand
{
    public string Name => "evaluate";

    public string Usage => $"""
        evaluate "<formula>" [--task NAME]... [--seeds K] [--steps N] [--layer] [--json]
          --task     a proxy task to train on (repeatable); default {string.Join(" and ", EvaluationPlan.DefaultTasks(false))}, or {string.Join(", ", EvaluationPlan.DefaultTasks(true))} for layers
                     ({string.Join(", ", ProxyTasks.All.Keys.Order())})
          --seeds    train every task with seeds 1..K and report mean ± std (default 1)
          --steps    training steps per run instead of each task's budget
          --layer    a normalization-activation layer: parameters per channel (formulas with statistics are layers anyway)
          --json     print the outcome as JSON
        Stages: static limits, numeric probe, duplicate, stability probe, quality probe, full evaluation.
        Exit code 0 when the candidate was evaluated or rejected, 1 when the evaluation failed, 2 on a usage error.
        Device and slots: ACTSEARCH_DEVICE (auto|cpu|cuda), ACTSEARCH_SLOTS.
        """;

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var tasks = args.Options("--task");
        int seeds = args.Int("--seeds", 1, 100) ?? 1;
        int? steps = args.Int("--steps", 1, 1_000_000);
        bool layer = args.Flag("--layer");
        bool json = args.Flag("--json");
        string text = args.Positionals(1, 1, "the formula (quote it: actsearch evaluate \"x * sigmoid(x)\")")[0];
        CheckTasks(tasks);

        var expr = ExprCommand.ParseFormula(text, new ParseOptions { DefaultParameterShape = layer ? ParameterShape.PerChannel : ParameterShape.Scalar });
        var candidate = new ChainCandidate(expr, layer);
        var plan = new EvaluationPlan { Tasks = [.. tasks], Seeds = seeds, Steps = steps };

        using var slots = CliSettings.Slots();
        var evaluator = new CandidateEvaluator(slots.Device);
        var result = await evaluator.EvaluateAsync(candidate, slots, plan, cancellation);

        if (json) stdout.WriteLine(ToJson(text, candidate, result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else stdout.Write(ToText(text, candidate, result));
        return result.Outcome switch
        {
            EvaluationOutcome.Evaluated or EvaluationOutcome.Rejected => CliApp.Ok,
            _ => CliApp.Failure,
        };
    }

    /// <summary>Unknown task names are usage errors, caught before anything runs.</summary>
    public static void CheckTasks(IEnumerable<string> tasks)
    {
        foreach (string t in tasks)
            if (!ProxyTasks.All.ContainsKey(t))
                throw new UsageException($"unknown task '{t}'; known: {string.Join(", ", ProxyTasks.All.Keys.Order())}.");
    }

    public static string ToText(string input, ChainCandidate candidate, ChainResult result)
    {
        var sb = new StringBuilder();
        string canonical = candidate.ToString();
        sb.AppendLine(canonical == input.Trim() ? $"{canonical} ({candidate.Kind})" : $"{input.Trim()} ({candidate.Kind}; canonical form {canonical})");
        switch (result.Outcome)
        {
            case EvaluationOutcome.Rejected r:
                sb.AppendLine($"rejected by the {r.Stage} stage: {r.Reason}");
                break;
            case EvaluationOutcome.Failed f:
                sb.AppendLine($"failed: {f.Error}");
                break;
            case EvaluationOutcome.Cancelled:
                sb.AppendLine("cancelled");
                break;
            case EvaluationOutcome.Evaluated e:
                var s = e.Scores;
                sb.AppendLine("evaluated");
                sb.AppendLine(Invariant($"complexity {s.Complexity}, {s.NodeCount} nodes, {s.FlopsPerElement:0.##} FLOPs/element, {s.FormulaParameters} learnable parameter(s), fingerprint {s.Fingerprint}"));
                sb.AppendLine(Invariant($"latency {s.Latency.Microseconds:0.#} µs per forward pass of {s.Latency.Shape} ({s.Latency.NanosecondsPerElement:0.##} ns/element, median of {s.Latency.Repeats}) on {s.Device}"));
                sb.AppendLine();
                var rows = new List<string[]> { new[] { "task", "metric", "mean ± std", "seeds", "sparsity", "parameters", "time/run" } };
                rows.AddRange(s.Summaries.Select(t => new[]
                {
                    t.Task, t.Metric == TaskMetric.Accuracy ? "accuracy" : "loss", MeanStd(t), t.Seeds.ToString(CultureInfo.InvariantCulture),
                    double.IsFinite(t.Sparsity) ? Invariant($"{t.Sparsity * 100:0.0}%") : "-", t.ParameterCount.ToString(CultureInfo.InvariantCulture),
                    Invariant($"{t.MeanWallTime.TotalSeconds:0.0} s"),
                }));
                sb.Append(Table(rows));
                break;
        }
        sb.AppendLine("stages: " + string.Join(", ", result.Stages.Select(t => $"{t.Stage} {Duration(t.Time)}" + (t.Verdict == StageVerdict.Passed ? "" : $" ({t.Verdict.ToString().ToLowerInvariant()})"))));
        return sb.ToString();
    }

    public static JsonObject ToJson(string input, ChainCandidate candidate, ChainResult result)
    {
        var o = new JsonObject
        {
            ["input"] = input,
            ["canonical"] = candidate.ToString(),
            ["kind"] = candidate.Kind,
            ["outcome"] = result.Outcome.Status,
        };
        switch (result.Outcome)
        {
            case EvaluationOutcome.Rejected r:
                o["stage"] = r.Stage;
                o["reason"] = r.Reason;
                break;
            case EvaluationOutcome.Failed f:
                o["error"] = f.Error;
                break;
            case EvaluationOutcome.Evaluated e:
                o["scores"] = ScoresJson(e.Scores);
                break;
        }
        o["stages"] = new JsonArray([.. result.Stages.Select(t => (JsonNode)new JsonObject
        {
            ["stage"] = t.Stage,
            ["ms"] = Math.Round(t.Time.TotalMilliseconds, 3),
            ["verdict"] = t.Verdict.ToString().ToLowerInvariant(),
        })]);
        o["total_ms"] = Math.Round(result.Total.TotalMilliseconds, 3);
        return o;
    }

    public static JsonObject ScoresJson(CandidateScores s) => new()
    {
        ["fingerprint"] = s.Fingerprint,
        ["complexity"] = s.Complexity,
        ["node_count"] = s.NodeCount,
        ["flops_per_element"] = s.FlopsPerElement,
        ["formula_parameters"] = s.FormulaParameters,
        ["latency"] = new JsonObject
        {
            ["median_us"] = Math.Round(s.Latency.Microseconds, 3),
            ["ns_per_element"] = Math.Round(s.Latency.NanosecondsPerElement, 4),
            ["shape"] = s.Latency.Shape,
            ["repeats"] = s.Latency.Repeats,
        },
        ["device"] = s.Device,
        ["tasks"] = new JsonArray([.. s.Summaries.Select(t => (JsonNode)SummaryJson(t))]),
        ["runs"] = new JsonArray([.. s.Results.Select(r => (JsonNode)new JsonObject
        {
            ["task"] = r.Task,
            ["seed"] = r.Seed,
            ["device"] = r.Device,
            ["metric"] = r.Metric == TaskMetric.Accuracy ? "accuracy" : "loss",
            ["accuracy"] = Number(r.Accuracy),
            ["loss"] = Number(r.Loss),
            ["steps"] = r.Steps,
            ["parameters"] = r.ParameterCount,
            ["sparsity"] = Number(r.ActivationSparsity),
            ["wall_ms"] = Math.Round(r.WallTime.TotalMilliseconds, 1),
            ["diverged"] = r.Diverged,
        })]),
    };

    public static JsonObject SummaryJson(TaskSummary t) => new()
    {
        ["task"] = t.Task,
        ["metric"] = t.Metric == TaskMetric.Accuracy ? "accuracy" : "loss",
        ["seeds"] = t.Seeds,
        ["mean"] = Number(t.Mean),
        ["std"] = Number(t.Std),
        ["sparsity"] = Number(t.Sparsity),
        ["parameters"] = t.ParameterCount,
    };

    /// <summary>JSON has no NaN or Infinity: those become null.</summary>
    public static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>Accuracy in percent, loss as a number: "84.2 ± 0.5%", "0.0123 ± 0.0004".</summary>
    public static string MeanStd(TaskSummary t) => t.Metric == TaskMetric.Accuracy
        ? Invariant($"{t.Mean * 100:0.0} ± {t.Std * 100:0.0}%")
        : double.IsFinite(t.Mean) ? Invariant($"{t.Mean:0.0000} ± {t.Std:0.0000}") : "diverged";

    public static string Duration(TimeSpan t) => t.TotalSeconds >= 1 ? Invariant($"{t.TotalSeconds:0.0} s") : Invariant($"{t.TotalMilliseconds:0.##} ms");

    /// <summary>Left-aligned columns separated by two spaces.</summary>
    public static string Table(IReadOnlyList<string[]> rows)
    {
        int columns = rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows)
            sb.AppendLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        return sb.ToString();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
