using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActSearch.Evaluation.Torch;
using ActSearch.Evolution;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.SearchSpaces;
using ActSearch.Storage;
using JobStatus = ActSearch.Grains.JobStatus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch run`: a whole search in one process — an Orleans silo holding the coordinator and worker roles,
/// PostgreSQL (ACTSEARCH_DB, or the private embedded server), the rejection chain and proxy training on the
/// silo's slots — with progress as it goes and the final front as a table.
/// </summary>
public sealed class RunCommand : ICommand
{
    public string Name => "run";

    public string Usage => """
        run <space.yaml | built-in space> [--budget N] [--seed S] [--slots K] [--name NAME]   a whole search on this machine
          --budget   most candidates to score (default: the space's budget)
          --seed     random seed (default: the space's seed); the same seed gives the same front with
                     evolution.mode: generational (steady state, the default, also depends on timing)
          --slots    training slots (default ACTSEARCH_SLOTS, else the number of cores)
          --name     a name for the job in the catalog
        Data goes to ACTSEARCH_DB, or to a private PostgreSQL under ACTSEARCH_HOME started from the machine's binaries.
        Ctrl+C cancels the search and prints the front found so far.
        """;

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        int? budget = args.Int("--budget", 1, SearchSpaceDefaults.MaxEvaluations);
        int? seed = args.Int("--seed", 0);
        int? slots = args.Int("--slots", 1, 1024);
        string? name = args.Option("--name");
        string spaceArg = args.Positionals(1, 1, "the search space (a YAML file, or a built-in name: actsearch space list)")[0];

        var (yaml, fileName) = SpaceArgument.Read(spaceArg);
        if (!SearchSpaceLoader.TryLoadFromText(yaml, fileName, out var space, out var errors))
        {
            foreach (var e in errors.Skip(1)) stderr.WriteLine(e.ToString());
            throw new UsageException(errors[0].ToString());
        }

        var storageOptions = CliSettings.Read().Storage();
        ActSearchStorage storage;
        try
        {
            storage = await ActSearchStorage.OpenAsync(storageOptions, cancellation);
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch run: {e.Message}");
            return CliApp.Failure;
        }
        await using var _ = storage;
        stdout.WriteLine($"storage: {storage.Description}");

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        OneProcessSilo.AddSilo(builder, OneProcessSilo.Configure(builder, slots), storage, wakeUnfinishedJobs: false);
        using var host = builder.Build();
        await host.StartAsync(cancellation);
        try
        {
            return await RunJobAsync(host.Services.GetRequiredService<IGrainFactory>(), storage, space!, yaml, fileName, budget, seed, name, stdout, cancellation);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A note when the budget cannot reach past the initial population: every candidate is then a random member of it,
    /// so the run samples the space and evolves nothing (the README's quick runs do this on purpose; the job is not
    /// refused, since the engine breeds only what the budget can score). Null otherwise, and for random search.
    /// </summary>
    public static string? SmallBudgetNote(SearchSpace space, int? budget)
    {
        var selection = space.Evolution.Selection;
        if (budget is not { } b || b > selection.PopulationSize || selection.Strategy == SelectionStrategy.Random) return null;
        return $"note: the budget ({b}) is not above the population ({selection.PopulationSize}): every candidate comes from " +
               "the random initial population, so this run samples the space and evolves nothing";
    }

    private static async Task<int> RunJobAsync(IGrainFactory grains, ActSearchStorage storage, SearchSpace space, string yaml, string fileName,
        int? budget, int? seed, string? name, TextWriter stdout, CancellationToken cancellation)
    {
        var jobId = Guid.NewGuid();
        var job = grains.GetGrain<ISearchJobGrain>(jobId);
        var spec = new JobSpec(yaml, fileName, name ?? space.Name, Environment.UserName, seed is { } s ? (ulong)s : null, budget);
        var status = await job.Submit(spec);
        stdout.WriteLine($"job {jobId}: {space.Name}, seed {status.Seed}, budget {SpaceArgument.Describe(status.BudgetEvaluations, status.BudgetWallTime)}, tasks {string.Join(", ", space.Tasks)}");
        if (SmallBudgetNote(space, status.BudgetEvaluations) is { } note) stdout.WriteLine(note);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool cancelled = false;
        string last = "";
        while (!status.IsFinal)
        {
            try
            {
                await Task.Delay(500, cancellation);
            }
            catch (OperationCanceledException) when (!cancelled)
            {
                cancelled = true;
                stdout.WriteLine("cancelling ...");
                await job.Cancel();
            }
            status = await job.GetStatus();
            string line = Progress(status);
            if (line != last) stdout.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F0}s] {line}");
            last = line;
        }

        stdout.WriteLine();
        stdout.WriteLine($"{status.State.ToString().ToLowerInvariant()} after {clock.Elapsed.TotalSeconds:F1} s: " +
            $"{status.Scored} scored, {status.Evaluated} evaluated, {status.Rejected} rejected, {status.Failed} failed, {status.CacheHits} answered from the duplicate cache"
            + (status.RejectedByStage.GetValueOrDefault(SurrogateOptions.Stage) is > 0 and var screened
                ? $"; {screened} of the rejected were screened out by the surrogate (never trained, not counted as scored)" : ""));
        if (status.Error is { } error) stdout.WriteLine($"error: {error}");
        if (status.Failed > 0) await PrintFailuresAsync(storage, jobId, stdout);
        PrintFront(status, stdout);
        await PrintCatalogAsync(storage, status, stdout, CancellationToken.None);
        stdout.WriteLine($"browse this job and the catalog in the web UI: actsearch serve, then {ActSearch.Api.ActSearchApiExtensions.DefaultUrls}");
        return status.State == JobState.Finished || (cancelled && status.State == JobState.Cancelled) ? CliApp.Ok : CliApp.Failure;
    }

    internal static string Progress(JobStatus s)
    {
        string stages = s.RejectedByStage.Count == 0 ? "" :
            " (" + string.Join(", ", s.RejectedByStage.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")) + ")";
        string best = string.Join("  ", s.BestPerObjective.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"best {kv.Key} {Value(kv.Value.Objectives[s.Objectives.IndexOf(kv.Key)])}"));
        // With fidelity rungs: evaluated per rung above the lowest, and the best values are the highest rung's.
        string rungs = s.Rungs.IsDefaultOrEmpty ? "" :
            "  rungs " + string.Join(" ", s.Rungs.Skip(1).Select(r => $"r{r.Rung}:{r.Evaluated}"));
        return $"gen {s.Generation,3}  scored {s.Scored}{(s.BudgetEvaluations is { } b ? $"/{b}" : "")}  " +
            $"evaluated {s.Evaluated}  rejected {s.Rejected}{stages}{rungs}  {best}".TrimEnd();
    }

    private static void PrintFront(JobStatus s, TextWriter stdout)
    {
        if (s.Front.IsEmpty)
        {
            stdout.WriteLine("front: empty (no candidate was trained)");
            return;
        }
        stdout.WriteLine();
        int rung = s.Front[0].Rung;
        stdout.WriteLine(s.Rungs.IsDefaultOrEmpty
            ? "front (non-dominated candidates):"
            : $"front (non-dominated candidates of rung {rung}, the highest reached: {s.Rungs[rung].Training}):");
        if (!s.Rungs.IsDefaultOrEmpty)
            foreach (var r in s.Rungs)
                stdout.WriteLine($"  rung {r.Rung} ({r.Training}): {r.Scored} scored, {r.Evaluated} evaluated" +
                    (r.Rung < s.Rungs.Length - 1 ? $", {r.Promoted} promoted" : ""));
        var headers = s.Objectives.Select(o => o.Length < 10 ? o.PadLeft(10) : o).ToList();
        stdout.WriteLine($"  {string.Join("  ", headers)}  formula");
        foreach (var f in s.Front.OrderBy(f => f.Objectives.Length > 1 ? f.Objectives[^1] : 0))
            stdout.WriteLine($"  {string.Join("  ", f.Objectives.Select((v, i) => Value(v).PadLeft(headers[i].Length)))}  {f.Formula}");
    }

    /// <summary>Why candidates failed (they are not the candidates' rejections): the most frequent reasons first.</summary>
    private static async Task PrintFailuresAsync(ActSearchStorage storage, Guid jobId, TextWriter stdout)
    {
        var reasons = (await storage.Candidates.OutcomesAsync(jobId, CancellationToken.None)).OfType<OutcomeRecord.Failed>()
            .GroupBy(f => f.Error).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        stdout.WriteLine("failed candidates, by reason:");
        foreach (var g in reasons.Take(3)) stdout.WriteLine($"  {g.Count()} x {g.Key}");
        if (reasons.Count > 3) stdout.WriteLine($"  ... and {reasons.Count - 3} other reasons");
    }

    private static async Task PrintCatalogAsync(ActSearchStorage storage, JobStatus s, TextWriter stdout, CancellationToken cancellation)
    {
        var all = await storage.Catalog.SearchAsync(null, new CatalogOrder.Recent(), 1, 1, cancellation);
        int known = 0;
        foreach (var f in s.Front)
            if (await storage.Catalog.GetAsync(ActSearch.Expressions.Fingerprint.Of(f.Genome), cancellation) is { } entry && entry.FirstJob != s.JobId)
                known++;
        stdout.WriteLine();
        stdout.WriteLine($"catalog: {all.Total} activations in {storage.Description}; {known} of this front were found by earlier jobs.");
    }

    private static string Value(double v) => double.IsNaN(v) ? "nan" : Math.Abs(v) >= 1e4 || (v != 0 && Math.Abs(v) < 1e-3)
        ? v.ToString("E2", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);
}
