using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.Tasks;

namespace ActSearch.Cli;

/// <summary>`actsearch baselines`: the known activations and layers trained on the proxy tasks, mean ± std over seeds.</summary>
public sealed class BaselinesCommand : ICommand
{
    public string Name => "baselines";

    public string Usage => $"""
        baselines [--task NAME]... [--seeds K] [--steps N] [--only NAME]... [--json]
          --task     a proxy task (repeatable; default every task: {string.Join(", ", ProxyTasks.All.Keys.Order())})
          --seeds    seeds 1..K per task (default 3); the table shows mean ± std
          --steps    training steps per run instead of each task's budget
          --only     just these baselines (repeatable): {string.Join(", ", Baselines.All.Select(b => b.Name))}
          --json     print the table as JSON
        Activations run on the tasks with activation slots (glu and bilinear only on gated ones: charlm-glu);
        BN+ReLU, EvoNorm-S0 and EvoNorm-B0 on the tasks with layer slots ({LayerTasks}).
        Device and slots: ACTSEARCH_DEVICE (auto|cpu|cuda), ACTSEARCH_SLOTS.
        """;

    /// <summary>The tasks whose slots take normalization-activation layers, from the catalog.</summary>
    private static string LayerTasks => string.Join(", ", TaskCatalog.All.Where(t => t.NormActivationSlots).Select(t => t.Name).Order(StringComparer.Ordinal));

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var tasks = args.Options("--task");
        int seeds = args.Int("--seeds", 1, 100) ?? 3;
        int? steps = args.Int("--steps", 1, 1_000_000);
        var only = args.Options("--only");
        bool json = args.Flag("--json");
        args.Positionals(0, 0, "");
        EvaluateCommand.CheckTasks(tasks);
        foreach (string name in only)
            if (Baselines.All.All(b => b.Name != name))
                throw new UsageException($"unknown baseline '{name}'; known: {string.Join(", ", Baselines.All.Select(b => b.Name))}.");
        IReadOnlyList<string> taskList = tasks.Count > 0 ? [.. tasks.Distinct()] : [.. ProxyTasks.All.Keys.Order()];
        var chosen = only.Count > 0 ? Baselines.All.Where(b => only.Contains(b.Name)).ToList() : [.. Baselines.All];

        using var slots = CliSettings.Slots();
        var rows = await Baselines.RunAsync(chosen, taskList, Enumerable.Range(1, seeds).Select(s => (ulong)s), steps, slots, cancellation);
        if (rows.Count == 0) throw new UsageException($"no baseline runs on these tasks (layers run on {LayerTasks}, activations elsewhere).");

        if (json)
        {
            var o = new JsonObject
            {
                ["device"] = slots.Device.ToString(),
                ["seeds"] = seeds,
                ["tasks"] = new JsonArray([.. taskList.Select(t => (JsonNode)t)]),
                ["rows"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
                {
                    ["name"] = r.Baseline.Name,
                    ["formula"] = r.Baseline.Formula,
                    ["kind"] = r.Baseline.Layer ? "layer" : "activation",
                    ["parameters"] = r.Baseline.Parameters,
                    ["flops_per_element"] = r.Baseline.Flops,
                    ["results"] = new JsonArray([.. r.Summaries.Select(s => (JsonNode)EvaluateCommand.SummaryJson(s))]),
                })]),
            };
            stdout.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return CliApp.Ok;
        }

        var shown = taskList.Where(t => rows.Any(r => r.Summaries.Any(s => s.Task == t))).ToList();
        var table = new List<string[]> { new[] { "baseline" }.Concat(shown).Concat(["params", "flops", "formula"]).ToArray() };
        foreach (var r in rows)
            table.Add([r.Baseline.Name, .. shown.Select(t => r.Summaries.FirstOrDefault(s => s.Task == t) is { } s ? EvaluateCommand.MeanStd(s) : "-"),
                r.Baseline.Parameters.ToString(CultureInfo.InvariantCulture), r.Baseline.Flops.ToString("0.#", CultureInfo.InvariantCulture), r.Baseline.Formula]);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean ± std over {seeds} seed(s) on {slots.Device}; accuracy in %, loss = held-out mean squared error (regression) or cross-entropy in nats per character (charlm-*); params = learnable numbers per slot, flops = nominal operations per element"));
        stdout.Write(EvaluateCommand.Table(table));
        return CliApp.Ok;
    }
}
