using System.Globalization;
using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.Storage;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch surrogate`: how well a search's surrogate would predict one objective on one task from what the activation
/// catalog holds (Spearman's rho between predicted and measured values on functions it was not fitted on).
/// </summary>
public sealed class SurrogateCommand : ICommand
{
    public string Name => "surrogate";

    public string Usage => """
        surrogate --task NAME [--objective NAME] [--features probe|fisher|both] [--above X] [--folds K] [--limit N]
          --task       the proxy task whose catalog values are predicted
          --objective  an objective measured by training (default accuracy)
          --features   probe: f and f' on fixed points (what `surrogate:` spaces use; the default); fisher: the top 16
                       eigenvalues (log10) of the task network's Fisher information at initialization (32 examples,
                       trains nothing; on ACTSEARCH_DEVICE); both: the two side by side
          --above      only functions whose value is above X (e.g. 0.5: rank the trainable ones, without the failures
                       whose distance from the rest makes any correlation look good)
          --folds      k of the cross-validation (default 5)
          --limit      the most recent N functions of the catalog (default 2000)
        Fits the surrogate's model (a Gaussian process) on the catalog's values: growing catalog (fit on the first n
        functions measured, predict every later one) and k-fold cross-validation; prints Spearman's rho and the error.
        Reads the store of ACTSEARCH_DB, else the embedded one under ACTSEARCH_HOME.
        """;

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        string task = args.Option("--task") ?? throw new UsageException("--task is required: the proxy task whose values are predicted.");
        string objective = args.Option("--objective") ?? "accuracy";
        int folds = args.Int("--folds", 2, 100) ?? 5;
        int limit = args.Int("--limit", 10, 100_000) ?? 2000;
        string features = args.Choice("--features", "probe", "probe", "fisher", "both");
        double? above = args.Double("--above");
        args.Positionals(0, 0, "");
        EvaluateCommand.CheckTasks([task]);
        if (ObjectiveRegistry.Find(objective) is not { PerTask: true })
            throw new UsageException($"'{objective}' is not an objective measured by training; use one of {string.Join(", ", ObjectiveRegistry.All.Where(o => o.PerTask).Select(o => o.Name))}.");

        List<CatalogMeasurement> rows;
        try
        {
            await using var storage = await ActSearchStorage.OpenAsync(CliSettings.Read().Storage(), cancellation);
            rows = await storage.Catalog.MeasuredAsync(objective, task, limit, cancellation);
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch surrogate: {e.Message}");
            return CliApp.Failure;
        }
        var measured = new List<(Expr Genome, double Value)>();
        foreach (var r in rows.OrderBy(r => r.FirstSeen).ThenBy(r => r.Fingerprint.Value))
        {
            if (above is { } floor && !(r.Value > floor)) continue;
            try
            {
                measured.Add((ExprParser.Parse(r.Formula), r.Value));
            }
            catch (ExprParseException)
            {
                // a formula this version no longer reads does not count
            }
        }
        if (measured.Count < Math.Max(folds, 10))
        {
            stderr.WriteLine($"actsearch surrogate: the catalog has {measured.Count} functions with {objective}@{task}; at least {Math.Max(folds, 10)} are needed (run a search on that task first).");
            return CliApp.Failure;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var slots = features == "probe" ? null : CliSettings.Slots();
        var kind = features switch { "fisher" => SurrogateFeatureKind.Fisher, "both" => SurrogateFeatureKind.Both, _ => SurrogateFeatureKind.Probe };
        var set = slots is null ? ProbeFeatures.Set : new FisherFeatures(slots.Device).For(kind, task)!;
        var featured = measured.Select(m => (Features: set.Of(m.Genome), m.Value)).ToList();
        double perFunction = clock.Elapsed.TotalMilliseconds / measured.Count;

        stdout.WriteLine($"{measured.Count} functions with {objective}@{task} in the catalog{(above is { } a ? string.Create(CultureInfo.InvariantCulture, $" above {a}") : "")}, in the order first measured; features: {features} ({perFunction:0.#} ms per function)");
        stdout.WriteLine($"{"fitted on",-12} {"n fit",6} {"n test",6} {"rho",7} {"MAE",8}");
        var checks = SurrogateValidation.GrowingCatalog(featured, Sizes(measured.Count)).Append(SurrogateValidation.CrossValidated(featured, folds));
        foreach (var c in checks)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Split,-12} {c.Fitted,6} {c.Tested,6} {c.Spearman,7:0.000} {c.MeanAbsoluteError,8:0.0000}"));
        return CliApp.Ok;
    }

    private static IEnumerable<int> Sizes(int count)
    {
        for (int n = 10; n < count; n *= 2) yield return n;
    }
}
