using ActSearch.Benchmarks;

// Plain benchmark harness: each benchmark prints side-by-side figures (ours vs a reference) as JSON lines.
// Usage: dotnet run -c Release --project tests/ActSearch.Benchmarks -- <eval|fit-vs-deap|fused|fused-op|async-scaling|all> [seconds, or async-scaling's time scale]
string which = args.Length > 0 ? args[0] : "all";
double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
var benchmarks = new Dictionary<string, Action<double>>
{
    ["eval"] = EvaluationThroughput.Run,
    ["fit-vs-deap"] = FitVersusDeap.Run,
    ["fused"] = FusedActivations.Run,
    ["fused-op"] = FusedActivations.RunOp,
    ["async-scaling"] = AsyncScaling.Run,
};
if (which == "all")
{
    foreach (var b in benchmarks.Values) b(seconds);
    return 0;
}
if (!benchmarks.TryGetValue(which, out var run))
{
    Console.Error.WriteLine($"unknown benchmark '{which}'; choose one of: all, {string.Join(", ", benchmarks.Keys)}");
    return 2;
}
run(seconds);
return 0;
