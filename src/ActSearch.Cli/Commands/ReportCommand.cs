using System.Globalization;
using ActSearch.Api;
using ActSearch.Cli.Report;
using ActSearch.Evaluation.Torch.HeldOut;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;
using ActSearch.Storage;
using ActSearch.Evaluation.Torch.Tasks;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch report`: a self-contained HTML (or Markdown) report of a stored job — its front, rejection funnel, best
/// curves and generation history — with a held-out evaluation of its best functions against the standard baselines.
/// </summary>
public sealed class ReportCommand : ICommand
{
    public string Name => "report";

    public string Usage => """
        report <job id | id prefix> [--out FILE] [--format html|md] [--top K] [--seeds N] [--heldout-task T]... [--no-heldout] [--steps S] [--protocol P]   a job's report with a held-out evaluation
          --out           the file to write (default actsearch-report-<first 8 hex digits>.html or .md)
          --format        html (self-contained, inline SVG; default) or md
          --top           best distinct functions to show and re-train (default 3)
          --seeds         seeds 1..N per function and task (default 5); the test needs at least 2
          --heldout-task  a proxy task for the held-out evaluation (repeatable; default every task of the job's kind
                          the search did not use, without regression for activations)
          --no-heldout    skip the held-out evaluation (no training)
          --steps         training steps per run instead of each task's budget (for quick runs)
          --protocol      standard (default): the standard baselines, every function at each task's own learning rate;
                          evidence: every baseline of the kind, and each function first picks its rate per task (the task's
                          x 1/3, 1, 3, or its own grid: x 1, 3, 9 on fmnist-cnn and the language-model tasks, x 1/9,
                          1/3, 1 on digits-mlp; 2 seeds each on a 10% validation split of the training data), so none wins by the
                          rate alone; needs --seeds 5 or more; about 3x the training of standard
        The job is read from ACTSEARCH_DB, or the private PostgreSQL under ACTSEARCH_HOME. Training on ACTSEARCH_DEVICE with ACTSEARCH_SLOTS slots.
        """;

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        string? outPath = args.Option("--out");
        string format = args.Choice("--format", "html", "html", "md");
        int top = args.Int("--top", 1, 100) ?? 3;
        int seeds = args.Int("--seeds", 1, 100) ?? 5;
        var heldOutTasks = args.Options("--heldout-task").Distinct().ToList();
        bool noHeldOut = args.Flag("--no-heldout");
        int? steps = args.Int("--steps", 1, 1_000_000);
        var protocol = ReadProtocol(args, seeds);
        string jobText = args.Positionals(1, 1, "the job id (or its first hex digits; see actsearch jobs)")[0];
        EvaluateCommand.CheckTasks(heldOutTasks);
        CheckOutFolder(outPath);
        if (noHeldOut && heldOutTasks.Count > 0) throw new UsageException("--no-heldout and --heldout-task exclude each other.");
        if (protocol == HeldOutProtocol.Evidence && noHeldOut) throw new UsageException("--no-heldout and --protocol evidence exclude each other.");
        CheckJobText(jobText);

        var storageOptions = CliSettings.Read().Storage();
        ActSearchStorage storage;
        try
        {
            storage = await ActSearchStorage.OpenAsync(storageOptions, cancellation);
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch report: {e.Message}");
            return CliApp.Failure;
        }
        await using var owned = storage;

        JobReport report;
        try
        {
            var job = await ResolveAsync(storage, jobText, cancellation);
            report = await LoadAsync(storage, job, top, cancellation);
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch report: {e.Message}");
            return CliApp.Failure;
        }

        if (!noHeldOut) report = await HeldOutAsync(report, heldOutTasks, seeds, steps, protocol, stdout, cancellation);
        if (report.HeldOut is { } heldOut)
        {
            // Kept with the job, so the web UI's job page shows the same tables; a failure here loses only that copy.
            try
            {
                await storage.HeldOut.SaveAsync(report.Job.Id, HeldOutDocument.Protocol(heldOut.Protocol),
                    HeldOutDocument.Json(HeldOutDocument.From(report.Job.Id, heldOut, report.HeldOutNotes)), cancellation);
            }
            catch (StorageException e)
            {
                stderr.WriteLine($"actsearch report: the held-out evaluation was not saved with the job (the report is written): {e.Message}");
            }
        }

        string text = format == "md" ? ReportRenderer.Markdown(report) : ReportRenderer.Html(report);
        string path = Path.GetFullPath(outPath ?? $"actsearch-report-{report.Job.Id.ToString("N")[..8]}.{format}");
        WriteAtomically(path, text);
        stdout.WriteLine($"report of job {report.Job.Id} written to {path}");
        foreach (var t in report.HeldOut?.Tasks ?? [])
            if (t.Best is { } best) stdout.WriteLine($"{t.Task}: {HeldOutEvaluation.Describe(best, report.HeldOut!.Alpha)}");
        return CliApp.Ok;
    }

    /// <summary>--protocol standard|evidence; the evidence protocol needs 5 seeds or more.</summary>
    internal static HeldOutProtocol ReadProtocol(ArgReader args, int seeds)
    {
        var protocol = args.Choice("--protocol", "standard", "standard", "evidence") == "evidence" ? HeldOutProtocol.Evidence : HeldOutProtocol.Standard;
        if (protocol == HeldOutProtocol.Evidence && seeds < 5)
            throw new UsageException($"--protocol evidence needs --seeds 5 or more (got {seeds}): fewer seeds cannot back a verdict.");
        return protocol;
    }

    /// <summary>A job id as a user may give it: a GUID, or at least its first 4 hex digits (dashes allowed).</summary>
    internal static void CheckJobText(string jobText)
    {
        if (!Guid.TryParse(jobText, out _) && (jobText.Length < 4 || !jobText.Replace("-", "", StringComparison.Ordinal).All(c => Uri.IsHexDigit(c))))
            throw new UsageException($"'{jobText}' is not a job id (a GUID, or at least its first 4 hex digits).");
    }

    /// <summary>A full job id, or the unique prefix of one (hex digits, dashes allowed) among the stored jobs.</summary>
    internal static async Task<JobRecord> ResolveAsync(ActSearchStorage storage, string text, CancellationToken cancellation)
    {
        if (Guid.TryParse(text, out var id))
            return await storage.Jobs.GetAsync(id, cancellation) ?? throw new UsageException($"no job {id} in {storage.Description}.");
        string prefix = text.Replace("-", "", StringComparison.Ordinal);
        var matches = new List<JobRecord>();
        for (int offset = 0; ; offset += 500)
        {
            var page = await storage.Jobs.ListAsync(null, 500, offset, cancellation);
            matches.AddRange(page.Where(j => j.Id.ToString("N").StartsWith(prefix, StringComparison.OrdinalIgnoreCase)));
            if (page.Count < 500) break;
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new UsageException($"no job id starts with '{text}' in {storage.Description}."),
            _ => throw new UsageException($"'{text}' is the start of {matches.Count} job ids; give more of it."),
        };
    }

    /// <summary>Reads the job's space, evaluated candidates, fronts per generation and outcome tally.</summary>
    internal static async Task<JobReport> LoadAsync(ActSearchStorage storage, JobRecord job, int top, CancellationToken cancellation)
    {
        var browse = new BrowseQueries(storage);
        // The space still tells the kind and the search's tasks; the objectives and their directions are stored with the job.
        SearchSpaceLoader.TryLoadFromText(job.SpaceYaml, "space.yaml", out var space, out _);
        var latest = await storage.Fronts.LatestAsync(job.Id, cancellation);
        List<string> objectives = [.. job.Objectives.Select(o => o.Key)];
        List<ObjectiveDirection> directions = [.. job.Objectives.Select(o => o.Maximize ? ObjectiveDirection.Maximize : ObjectiveDirection.Minimize)];
        if (objectives.Count == 0 && latest is { Maximize.IsDefaultOrEmpty: false })
        {
            objectives = [.. latest.Objectives];
            directions = [.. latest.Maximize.Select(m => m ? ObjectiveDirection.Maximize : ObjectiveDirection.Minimize)];
        }
        // The first per-task objective (accuracy@fmnist-cnn) ranks the candidates; else the first.
        int primary = Math.Max(0, objectives.FindIndex(k => k.Contains('@', StringComparison.Ordinal)));

        var onFront = latest?.Members.Select(m => m.CandidateId).ToHashSet() ?? [];
        var evaluated = (await browse.EvaluatedAsync(job.Id, cancellation))
            .Where(e => e.Objectives.Length == objectives.Count)
            .Select(e => new ReportCandidate(e.CandidateId, e.Generation, GraphJson.Deserialize(e.RefinedGenomeJson ?? e.GenomeJson), e.Objectives, onFront.Contains(e.CandidateId), e.Operator == "seed", e.Rung))
            .ToList();

        double Rank(ReportCandidate c)
        {
            double v = c.Objectives[primary];
            if (double.IsNaN(v)) return double.NegativeInfinity;
            return directions[primary] == ObjectiveDirection.Maximize ? v : -v;
        }
        var best = evaluated.OrderByDescending(c => c.Rung).ThenByDescending(Rank).ThenBy(c => c.Id)
            .DistinctBy(c => Fingerprint.Of(c.Genome)).Take(top).ToList();

        var tally = (await browse.TallyAsync([job.Id], cancellation))[job.Id];
        var funnel = JobFunnel.Of(job.Id, tally, space is { Evolution.Fidelity.Enabled: true } ? space.Evolution.Fidelity : null);

        var history = new List<ReportGeneration>();
        foreach (int g in await browse.GenerationsAsync(job.Id, cancellation))
        {
            if (await storage.Fronts.GetAsync(job.Id, g, cancellation) is not { } front) continue;
            int k = front.Objectives.IndexOf(objectives.Count > 0 ? objectives[primary] : "");
            var values = k < 0 ? [] : front.Members.Select(m => m.Values[k]).Where(double.IsFinite).ToList();
            double bestValue = values.Count == 0 ? double.NaN : directions.Count > 0 && directions[primary] == ObjectiveDirection.Maximize ? values.Max() : values.Min();
            history.Add(new ReportGeneration(g, front.Members.Length, bestValue));
        }

        return new JobReport
        {
            Job = job,
            IsLayer = space?.Kind == SearchSpaceKind.Layer || evaluated.Any(c => c.Genome.HasAggregates()),
            SearchTasks = space is null ? [] : [.. space.Tasks],
            Objectives = objectives,
            Directions = directions,
            Primary = primary,
            Evaluated = evaluated,
            Top = best,
            Proposed = funnel.Proposed,
            Funnel = [.. funnel.Stages.Select(s => new ReportStage(s.Stage, s.Removed, s.Seconds))],
            EvaluatedCount = funnel.Evaluated,
            CacheHits = funnel.CacheHits,
            Failed = funnel.Failed,
            Cancelled = funnel.Cancelled,
            History = history,
            Rungs = funnel.Rungs,
            GeneratedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Re-trains the top functions and the standard baselines on the held-out tasks.</summary>
    private static async Task<JobReport> HeldOutAsync(JobReport report, IReadOnlyList<string> chosen, int seeds, int? steps,
        HeldOutProtocol protocol, TextWriter stdout, CancellationToken cancellation)
    {
        var notes = new List<string>();
        if (report.Top.Count == 0)
            return report with { HeldOutNotes = ["No held-out evaluation: the job has no trained candidate."] };
        bool layer = report.IsLayer;
        foreach (string t in chosen)
            if (!HeldOutEvaluation.Accepts(t, layer))
                throw new UsageException($"task '{t}' takes {(layer ? "activations" : "normalization-activation layers")}, but this job searched {(layer ? "layers" : "activations")}.");
        IReadOnlyList<string> tasks = chosen.Count > 0 ? chosen : HeldOutEvaluation.DefaultTasks(report.SearchTasks, layer);
        if (tasks.Count == 0)
        {
            // Every task taking this kind was used by the search.
            tasks = [.. report.SearchTasks.Where(t => ProxyTasks.All.ContainsKey(t) && HeldOutEvaluation.Accepts(t, layer))];
            notes.Add($"No held-out task exists for {(layer ? "normalization-activation layers" : "this kind of function")}: every task taking them was used by the search. " +
                $"Re-trained on the search task{(tasks.Count == 1 ? "" : "s")} ({string.Join(", ", tasks)}) with seeds 1..{seeds} instead; this is NOT a held-out result.");
            if (tasks.Count == 0) return report with { HeldOutNotes = notes };
        }
        if (chosen.Count > 0 && chosen.Where(report.SearchTasks.Contains).ToList() is { Count: > 0 } searched)
            notes.Add($"{string.Join(", ", searched)} {(searched.Count == 1 ? "was a task" : "were tasks")} of the search: the functions were selected there, so {(searched.Count == 1 ? "its" : "their")} rows are NOT a held-out result (fresh seeds only) and do not count in the transfer table.");
        if (seeds < 2) notes.Add("With one seed there is no spread, so no significance test: use --seeds 2 or more.");
        if (steps is { } s) notes.Add(string.Create(CultureInfo.InvariantCulture, $"Every run trained for {s} steps (--steps), not the tasks' own budgets."));

        var baselines = HeldOutEvaluation.BaselinesFor(protocol, layer);
        var candidates = report.Top.Select(c => new HeldOutCandidate(c.Name, c.Genome) { SelectedOn = report.SearchTasks }).ToList();
        using var slots = CliSettings.Slots();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out evaluation ({protocol.ToString().ToLowerInvariant()} protocol): {candidates.Count} found + {baselines.Count} baselines x {tasks.Count} task(s) ({string.Join(", ", tasks)}) x {seeds} seed(s) on {slots.Device} ..."));
        var result = await HeldOutEvaluation.RunAsync(candidates, baselines, tasks, seeds, steps, slots, HeldOutEvaluation.DefaultAlpha, cancellation, protocol);
        notes.AddRange(RateEdgeNotes(result));
        return report with { HeldOut = result, HeldOutNotes = notes };
    }

    /// <summary>
    /// Under the evidence protocol, a task where most functions chose the highest (or lowest) rate tried: their best rate may
    /// lie beyond the grid, so the comparison is between functions that are all held back by it.
    /// </summary>
    public static IEnumerable<string> RateEdgeNotes(HeldOutResult result)
    {
        foreach (var t in result.Tasks)
        {
            var rates = HeldOutEvaluation.LearningRatesFor(ProxyTasks.Get(t.Task).Spec);
            var chosen = t.Rows.Where(r => r.LearningRate is not null).Select(r => r.LearningRate!.Value).ToList();
            if (chosen.Count == 0) continue;
            foreach (var (edge, word) in new[] { (rates[^1], "highest"), (rates[0], "lowest") })
            {
                int at = chosen.Count(r => r == edge);
                if (2 * at > chosen.Count)
                    yield return string.Create(CultureInfo.InvariantCulture,
                        $"On {t.Task}, {at} of {chosen.Count} functions chose the {word} learning rate tried ({edge:G3}): their best rate may lie beyond the grid, so this task compares functions held back by it.");
            }
        }
    }

    /// <summary>A usage error, before anything trains, when --out is a folder or its folder does not exist.</summary>
    internal static void CheckOutFolder(string? outPath)
    {
        if (outPath is null) return;
        if (Directory.Exists(outPath)) throw new UsageException($"--out: '{outPath}' is a folder; name the file to write (such as {Path.Combine(outPath, "report.md")}).");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir)) throw new UsageException($"--out: the folder '{dir}' does not exist.");
    }

    /// <summary>Writes next to the target and renames over it, so a reader never sees half a report.</summary>
    internal static void WriteAtomically(string path, string text)
    {
        CheckOutFolder(path);
        string? dir = Path.GetDirectoryName(path);
        string temp = Path.Combine(dir ?? ".", $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temp, text, new System.Text.UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw new UsageException($"cannot write '{path}': {e.Message}");
        }
    }
}
