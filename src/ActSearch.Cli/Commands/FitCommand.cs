using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Cli;

/// <summary>`actsearch fit`: symbolic regression of a target curve with the evolution engine (CPU only, no training).</summary>
public sealed class FitCommand : ICommand
{
    public string Name => "fit";

    public string Usage => """
        fit --target <formula|file.csv> [--seed S] [--budget N] [--target-mse E] [--points N] [--range lo,hi] [--json]
          --target      a formula sampled on --range, or a CSV file of x,y rows (a header row is allowed)
          --seed        random seed (default 1); the same seed gives the same result
          --budget      most candidates to score (default 10000)
          --target-mse  stop as soon as a formula fits this well (default: use the whole budget)
          --points      sample points of a formula target (default 200)
          --range       interval of a formula target (default -5,5)
          --json        print a JSON summary: best_formula, best_mse, evaluations, seconds, front
        Primitives: add, sub, mul, div, neg, exp, tanh, sigmoid, erf, square; constants 0.5, 1, 2, fitted by
        Levenberg-Marquardt. The front trades complexity (tree nodes) against mean squared error.
        """;

    public Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        string target = args.Option("--target") ?? throw new UsageException("missing --target (a formula or a CSV file of x,y rows).");
        ulong seed = (ulong)(args.Int("--seed", 0) ?? 1);
        int budget = args.Int("--budget", 1, 100_000_000) ?? 10_000;
        int points = args.Int("--points", 2, 10_000_000) ?? 200;
        double? targetMse = ParseDouble(args.Option("--target-mse"), "--target-mse");
        var (lo, hi) = ParseRange(args.Option("--range") ?? "-5,5");
        bool json = args.Flag("--json");
        args.Positionals(0, 0, "");

        var (xs, ys) = File.Exists(target) || target.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? ReadCsv(target)
            : SymbolicRegression.Sample(ExprCommand.ParseFormula(target), lo, hi, points);
        if (ys.Any(y => !double.IsFinite(y)))
            throw new UsageException($"the target is not finite everywhere on [{lo}, {hi}] (NaN or Inf at x = {xs[Array.FindIndex(ys, y => !double.IsFinite(y))]}).");

        // The evaluation budget, not the clock, ends the search, so one seed always gives one answer.
        var options = SymbolicRegression.DefaultOptions with { Budget = new Budget(Evaluations: budget) };
        var result = SymbolicRegression.Fit(xs, ys, options, seed, targetMse, cancellation);

        if (json)
        {
            var summary = new JsonObject
            {
                ["best_formula"] = result.Best.ToString(),
                ["best_canonical"] = Canonicalizer.Canonicalize(result.Best).ToString(),
                ["best_mse"] = result.BestMse,
                ["evaluations"] = result.Evaluations,
                ["cache_hits"] = result.CacheHits,
                ["generations"] = result.Generations,
                ["seconds"] = Math.Round(result.Seconds, 3),
                ["seed"] = seed,
                ["front"] = new JsonArray([.. result.Front.Select(p => (JsonNode)new JsonObject
                {
                    ["complexity"] = p.Complexity,
                    ["mse"] = p.Mse,
                    ["formula"] = p.Formula.ToString(),
                })]),
            };
            stdout.WriteLine(summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            stdout.WriteLine($"best   {result.Best}");
            stdout.WriteLine($"mse    {result.BestMse.ToString("G6", CultureInfo.InvariantCulture)}");
            stdout.WriteLine($"scored {result.Evaluations} candidates ({result.CacheHits} duplicates skipped) in {result.Seconds:F2} s, seed {seed}");
            stdout.WriteLine();
            stdout.WriteLine("complexity  mse           formula");
            foreach (var p in result.Front)
                stdout.WriteLine($"{p.Complexity,10}  {p.Mse.ToString("E3", CultureInfo.InvariantCulture),-12}  {p.Formula}");
        }
        return Task.FromResult(CliApp.Ok);
    }

    private static double? ParseDouble(string? text, string option)
    {
        if (text is null) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 0))
            throw new UsageException($"option {option} must be a non-negative number, got '{text}'.");
        return v;
    }

    private static (double Lo, double Hi) ParseRange(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double lo)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double hi)
            && double.IsFinite(lo) && double.IsFinite(hi) && lo < hi)
            return (lo, hi);
        throw new UsageException($"option --range must be two numbers lo,hi with lo < hi, got '{text}'.");
    }

    /// <summary>Reads x,y rows; a first row that is not numeric is a header. Errors name the line and column.</summary>
    internal static (double[] Xs, double[] Ys) ReadCsv(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var cells = line.Split(',');
            if (cells.Length < 2) throw new UsageException($"{path}:{i + 1}:1: expected two columns x,y, found {cells.Length}.");
            bool xOk = double.TryParse(cells[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x);
            bool yOk = double.TryParse(cells[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double y);
            if (!xOk || !yOk)
            {
                if (xs.Count == 0 && !xOk && !yOk) continue; // a header row
                int column = xOk ? cells[0].Length + 2 : 1;
                throw new UsageException($"{path}:{i + 1}:{column}: '{(xOk ? cells[1] : cells[0]).Trim()}' is not a number.");
            }
            xs.Add(x);
            ys.Add(y);
        }
        if (xs.Count < 2) throw new UsageException($"{path}: needs at least two x,y rows, found {xs.Count}.");
        return ([.. xs], [.. ys]);
    }
}
