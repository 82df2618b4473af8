using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Cli.Report;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.HeldOut;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using ActSearch.Storage;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch compare`: the held-out evaluation of several jobs' best functions side by side, every function and baseline
/// trained once, and, for jobs grouped under labels (the arms of an experiment: evolution, random search, ...), each
/// arm's held-out results across its jobs with Welch's test between arms.
/// </summary>
public sealed class CompareCommand : ICommand
{
    public string Name => "compare";

    public string Usage => """
        compare [LABEL=]<job>... [--function LABEL=FORMULA]... [--searched-task T]... [--top K] [--seeds N] [--first-seed S] [--heldout-task T]... [--steps S] [--protocol P] [--format md|json] [--out FILE]   jobs' best functions on held-out tasks, side by side
          <job>           a job id or its first hex digits; LABEL= puts it in an arm (letters, digits, - _ .): the arms
                          table gives each arm's held-out mean over its entries' best functions and Welch's test between
                          arms (default label: the job's name)
          --function      a function given by its formula instead of a job (repeatable; learnable parameters keep their
                          initial values written as v0{1.5}), e.g. the best of a run stored in another database; with
                          only functions, name the tasks with --heldout-task (the searches' tasks are not known)
                          Two entries or more, jobs and functions together.
          --searched-task a task the --function entries were selected on (repeatable): their rows there are not held
                          out and do not count in their transfer record (a job's own search tasks are known)
          --top           best distinct functions per job to re-train (default 1; the arms use each job's best)
          --seeds         seeds 1..N per function and task (default 5)
          --first-seed    start the seeds there instead (S..S+N-1): fresh seeds to confirm an earlier comparison (the
                          evidence protocol's rate choice uses its own validation seeds and is the same)
          --heldout-task  a task for the evaluation (repeatable; default every task of the jobs' kind that none of them searched)
          --steps         training steps per run instead of each task's budget
          --protocol      standard (default) or evidence (each function picks its learning rate per task first; --seeds 5 or more)
          --format        md (default) or json
          --out           write there instead of printing (written whole or not at all)
        A function several jobs found is trained once. Jobs are read from ACTSEARCH_DB or the private PostgreSQL under
        ACTSEARCH_HOME; training on ACTSEARCH_DEVICE with ACTSEARCH_SLOTS slots.
        """;

    /// <summary>
    /// One entry of the comparison: its arm, the job it comes from (null for a function given by formula), its best
    /// functions (best first), what its search used, and the held-out rows of its functions.
    /// </summary>
    private sealed record Entry(string Label, JobRecord? Job, IReadOnlyList<(string Name, Expr Genome)> Functions, IReadOnlyList<string> SearchTasks,
        bool IsLayer, List<string> Rows)
    {
        public string Source => Job is { } j ? j.Id.ToString("N")[..8] : "formula";
    }

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        int top = args.Int("--top", 1, 100) ?? 1;
        int seeds = args.Int("--seeds", 1, 100) ?? 5;
        int firstSeed = args.Int("--first-seed", 1, 1_000_000) ?? 1;
        var chosen = args.Options("--heldout-task").Distinct().ToList();
        int? steps = args.Int("--steps", 1, 1_000_000);
        var protocol = ReportCommand.ReadProtocol(args, seeds);
        string format = args.Choice("--format", "md", "md", "json");
        string? outPath = args.Option("--out");
        var functions = args.Options("--function").Select(ParseFunctionArgument).ToList();
        var functionTasks = args.Options("--searched-task").Distinct().ToList();
        var jobArgs = args.Positionals(functions.Count >= 2 ? 0 : functions.Count == 1 ? 1 : 2, 1000,
            "at least two entries (job ids or their first hex digits, see actsearch jobs; or --function LABEL=FORMULA)");
        EvaluateCommand.CheckTasks(chosen);
        EvaluateCommand.CheckTasks(functionTasks);
        if (functionTasks.Count > 0 && functions.Count == 0)
            throw new UsageException("--searched-task describes --function entries, and there are none (a job's search tasks are read from the job).");
        ReportCommand.CheckOutFolder(outPath);
        var parsed = jobArgs.Select(ParseJobArgument).ToList();
        if (parsed.Count == 0 && chosen.Count == 0)
            throw new UsageException("with functions only, name the held-out tasks with --heldout-task: the tasks their searches used are not known (--searched-task only marks them).");

        var entries = new List<Entry>();
        if (parsed.Count > 0 && await LoadJobsAsync(parsed, top, entries, stderr, cancellation) is { } failed) return failed;
        entries.AddRange(functions.Select(f => new Entry(f.Label, null, [("", f.Genome)], functionTasks, f.Genome.HasAggregates(), [])));
        var notes = new List<string>();
        foreach (var e in entries.Where(e => e.Functions.Count == 0))
            notes.Add($"Job {e.Job!.Id} ({e.Label}) has no trained candidate: it has no row.");
        var withFunctions = entries.Where(e => e.Functions.Count > 0).ToList();
        if (withFunctions.Count == 0) throw new UsageException("none of the jobs has a trained candidate: nothing to compare.");
        bool layer = withFunctions[0].IsLayer;
        if (withFunctions.Any(e => e.IsLayer != layer))
            throw new UsageException("the jobs searched different kinds (activations and normalization-activation layers): compare jobs of one kind.");
        foreach (string t in chosen)
            if (!HeldOutEvaluation.Accepts(t, layer))
                throw new UsageException($"task '{t}' takes {(layer ? "activations" : "normalization-activation layers")}, but these jobs searched {(layer ? "layers" : "activations")}.");
        var searched = withFunctions.SelectMany(e => e.SearchTasks).Distinct().ToList();
        IReadOnlyList<string> tasks = chosen.Count > 0 ? chosen : HeldOutEvaluation.DefaultTasks(searched, layer);
        if (tasks.Count == 0)
            throw new UsageException($"every task that takes {(layer ? "layers" : "activations")} was searched by one of the jobs; name tasks with --heldout-task (their rows are then not held out).");
        if (chosen.Where(searched.Contains).ToList() is { Count: > 0 } used)
            notes.Add($"{string.Join(", ", used)} {(used.Count == 1 ? "was a task" : "were tasks")} of a search: the functions were selected there, so those rows are NOT a held-out result and do not count in the transfer table.");
        if (steps is { } s) notes.Add(string.Create(CultureInfo.InvariantCulture, $"Every run trained for {s} steps (--steps), not the tasks' own budgets."));

        // A function several jobs found is one row: same seeds, same device, same result.
        var candidates = new List<HeldOutCandidate>();
        var rowOf = new Dictionary<Fingerprint, string>();
        var selectedOn = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var e in withFunctions)
            foreach (var (name, genome) in e.Functions)
            {
                var fingerprint = Fingerprint.Of(genome);
                if (!rowOf.TryGetValue(fingerprint, out var row))
                {
                    row = $"{e.Label} {e.Source}{(name.Length > 0 ? " " + name : "")}";
                    for (int k = 2; candidates.Any(c => c.Name == row); k++) row = $"{e.Label} {e.Source} ({k})";
                    rowOf[fingerprint] = row;
                    candidates.Add(new HeldOutCandidate(row, genome));
                }
                e.Rows.Add(row);
                if (!selectedOn.TryGetValue(row, out var tasksOfRow)) selectedOn[row] = tasksOfRow = new(StringComparer.Ordinal);
                tasksOfRow.UnionWith(e.SearchTasks); // a function several searches found was selected on each one's tasks
            }
        candidates = [.. candidates.Select(c => c with { SelectedOn = [.. selectedOn[c.Name].Order(StringComparer.Ordinal)] })];

        var baselines = HeldOutEvaluation.BaselinesFor(protocol, layer);
        using var slots = CliSettings.Slots();
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out comparison ({protocol.ToString().ToLowerInvariant()} protocol): {candidates.Count} functions of {withFunctions.Count} entries + {baselines.Count} baselines x {tasks.Count} task(s) ({string.Join(", ", tasks)}) x {seeds} seed(s) from {firstSeed} on {slots.Device} ..."));
        var result = await HeldOutEvaluation.RunAsync(candidates, baselines, tasks, seeds, steps, slots, HeldOutEvaluation.DefaultAlpha, cancellation, protocol, firstSeed);
        notes.AddRange(ReportCommand.RateEdgeNotes(result));
        var arms = Arms(withFunctions, result);

        string text = format == "json" ? Json(withFunctions, result, arms, notes) : Markdown(withFunctions, result, arms, notes);
        if (outPath is null) stdout.Write(text);
        else
        {
            string path = Path.GetFullPath(outPath);
            ReportCommand.WriteAtomically(path, text);
            stdout.WriteLine($"comparison of {withFunctions.Count} entries written to {path}");
        }
        return CliApp.Ok;
    }

    /// <summary>Reads each job's best functions from the store; a failure code when the store cannot be read (told on stderr).</summary>
    private static async Task<int?> LoadJobsAsync(IReadOnlyList<(string? Label, string Job)> parsed, int top, List<Entry> entries, TextWriter stderr,
        CancellationToken cancellation)
    {
        try
        {
            await using var storage = await ActSearchStorage.OpenAsync(CliSettings.Read().Storage(), cancellation);
            foreach (var (label, given) in parsed)
            {
                var job = await ReportCommand.ResolveAsync(storage, given, cancellation);
                if (entries.Any(e => e.Job?.Id == job.Id)) throw new UsageException($"job {job.Id} is given twice.");
                var report = await ReportCommand.LoadAsync(storage, job, top, cancellation);
                entries.Add(new Entry(label ?? (job.Name is { Length: > 0 } n ? n : job.Id.ToString("N")[..8]), job,
                    [.. report.Top.Select(c => (c.Name, c.Genome))], report.SearchTasks, report.IsLayer, []));
            }
            return null;
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch compare: {e.Message}");
            return CliApp.Failure;
        }
    }

    /// <summary>[LABEL=]JOB: the label, when given, and the job's text.</summary>
    internal static (string? Label, string Job) ParseJobArgument(string argument)
    {
        int eq = argument.IndexOf('=', StringComparison.Ordinal);
        string? label = eq < 0 ? null : argument[..eq];
        string job = eq < 0 ? argument : argument[(eq + 1)..];
        if (label is not null) CheckLabel(label);
        ReportCommand.CheckJobText(job);
        return (label, job);
    }

    /// <summary>--function LABEL=FORMULA: the label and the parsed function.</summary>
    internal static (string Label, Expr Genome) ParseFunctionArgument(string argument)
    {
        int eq = argument.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0) throw new UsageException($"--function '{argument}': write LABEL=FORMULA, e.g. --function surrogate=\"x * tanh(x)\".");
        string label = argument[..eq];
        CheckLabel(label);
        return (label, ExprCommand.ParseFormula(argument[(eq + 1)..]));
    }

    private static void CheckLabel(string label)
    {
        if (label.Length is 0 or > 40 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new UsageException($"'{label}' is not a label: use 1-40 letters, digits, '-', '_' or '.' before the '='.");
    }

    /// <summary>One arm on one task: its jobs' best functions' held-out means, summarized, and tested against the other arms.</summary>
    internal sealed record ArmResult(string Task, TaskMetric Metric, string Label, IReadOnlyList<double> Values, double Mean, double Std, double HalfWidth,
        double BestBaseline, IReadOnlyList<(string Other, WelchResult Test)> Tests);

    /// <summary>Per task, per label (in the order first given): the held-out mean of each job's best function.</summary>
    internal static List<ArmResult> Arms(IReadOnlyList<(string Label, string BestRow)> jobs, HeldOutResult result)
    {
        var labels = jobs.Select(j => j.Label).Distinct().ToList();
        var arms = new List<ArmResult>();
        foreach (var t in result.Tasks)
        {
            double best = t.Rows.FirstOrDefault(r => r.Name == t.BestBaseline)?.Summary.Mean ?? double.NaN;
            var values = labels.ToDictionary(l => l, l => jobs.Where(j => j.Label == l)
                .Select(j => t.Rows.FirstOrDefault(r => r.Name == j.BestRow)?.Summary.Mean ?? double.NaN).ToList());
            foreach (string l in labels)
            {
                var v = values[l];
                double mean = v.Average(), std = v.Count < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
                var tests = labels.Where(o => o != l && values[o].Count >= 2 && v.Count >= 2)
                    .Select(o => (o, WelchTest.Compare(v, values[o]))).ToList();
                arms.Add(new ArmResult(t.Task, t.Metric, l, v, mean, std, WelchTest.HalfWidth95(std, v.Count), best, tests));
            }
        }
        return arms;
    }

    private static List<ArmResult> Arms(IReadOnlyList<Entry> entries, HeldOutResult result) =>
        Arms([.. entries.Select(e => (e.Label, e.Rows[0]))], result);

    private static string Markdown(IReadOnlyList<Entry> entries, HeldOutResult h, IReadOnlyList<ArmResult> arms, IReadOnlyList<string> notes)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("# ActSearch comparison on held-out tasks\n\n");
        sb.Append(ReportRenderer.MdTable(["label", "job", "name", "space", "seed", "search tasks", "best functions (rows)"],
            entries.Select(e => new[]
            {
                e.Label, e.Job?.Id.ToString() ?? "(formula)", e.Job?.Name ?? "", e.Job?.SpaceName ?? "", e.Job?.Seed.ToString(inv) ?? "",
                string.Join(", ", e.SearchTasks), string.Join("; ", e.Rows),
            }))).Append('\n');
        foreach (string note in notes) sb.Append("> ").Append(ReportRenderer.M(note)).Append("\n\n");
        sb.Append(ReportRenderer.M(string.Create(inv,
            $"Each entry's best distinct function(s) and {(h.Protocol == HeldOutProtocol.Evidence ? "every baseline of the kind (each function at the learning rate it chose per task on a validation split)" : "the standard baselines (each task's own learning rate)")}, " +
            $"re-trained with seeds {h.SeedRange} on {h.Device}{(h.Steps is { } s ? $" for {s} steps each" : "")}; Welch's t-test, two-sided, against the best baseline per task (significant when p < {h.Alpha})."))).Append("\n\n");
        if (arms.Any(a => a.Values.Count >= 2))
        {
            sb.Append("## Arms\n\n");
            sb.Append(ReportRenderer.M("Per task, each arm's entries' best functions: the mean of their held-out means, the 95% interval of that mean over the arm's entries, the difference from the task's best baseline, and Welch's test against each other arm (over entries, not seeds).")).Append("\n\n");
            foreach (var byTask in arms.GroupBy(a => a.Task))
            {
                sb.Append("### ").Append(ReportRenderer.M(byTask.Key)).Append("\n\n");
                sb.Append(ReportRenderer.MdTable(["arm", "entries", "mean of best functions", "95% CI", "vs best baseline", "each entry's best", "Welch against"],
                    byTask.Select(a => new[]
                    {
                        a.Label, a.Values.Count.ToString(inv), Value(a.Mean, a.Metric), double.IsFinite(a.HalfWidth) ? "± " + Value(a.HalfWidth, a.Metric) : "",
                        ReportRenderer.Diff(a.Metric == TaskMetric.Accuracy ? a.Mean - a.BestBaseline : a.BestBaseline - a.Mean, a.Metric),
                        string.Join(", ", a.Values.Select(v => Value(v, a.Metric))),
                        string.Join("; ", a.Tests.Select(x => $"{x.Other}: t = {x.Test.T.ToString("0.00", inv)}, p = {HeldOutEvaluation.P(x.Test.PValue)}")),
                    }))).Append('\n');
            }
        }
        sb.Append("## Functions\n\n");
        ReportRenderer.AppendHeldOutTables(sb, h);
        sb.Append("Generated by `actsearch compare` at ").Append(DateTimeOffset.UtcNow.ToString("u", inv)).Append(".\n");
        return sb.ToString();
    }

    private static string Value(double v, TaskMetric metric) => !double.IsFinite(v) ? "n/a"
        : metric == TaskMetric.Accuracy ? string.Create(CultureInfo.InvariantCulture, $"{v * 100:0.00}%") : v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Json(IReadOnlyList<Entry> entries, HeldOutResult h, IReadOnlyList<ArmResult> arms, IReadOnlyList<string> notes)
    {
        static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
        var o = new JsonObject
        {
            ["jobs"] = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject
            {
                ["label"] = e.Label, ["job"] = e.Job?.Id.ToString(), ["name"] = e.Job?.Name, ["seed"] = e.Job?.Seed,
                ["searchTasks"] = new JsonArray([.. e.SearchTasks.Select(t => (JsonNode)t)]),
                ["rows"] = new JsonArray([.. e.Rows.Select(r => (JsonNode)r)]),
            })]),
            ["firstSeed"] = h.FirstSeed,
            ["heldOut"] = JsonSerializer.SerializeToNode(HeldOutDocument.From(Guid.Empty, h, notes), ActSearch.Api.HeldOutView.Json),
            ["arms"] = new JsonArray([.. arms.Select(a => (JsonNode)new JsonObject
            {
                ["task"] = a.Task, ["label"] = a.Label, ["values"] = new JsonArray([.. a.Values.Select(Num)]),
                ["mean"] = Num(a.Mean), ["std"] = Num(a.Std), ["halfWidth95"] = Num(a.HalfWidth), ["bestBaseline"] = Num(a.BestBaseline),
                ["tests"] = new JsonArray([.. a.Tests.Select(x => (JsonNode)new JsonObject
                {
                    ["against"] = x.Other, ["t"] = Num(x.Test.T), ["df"] = Num(x.Test.DegreesOfFreedom), ["p"] = Num(x.Test.PValue),
                })]),
            })]),
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
