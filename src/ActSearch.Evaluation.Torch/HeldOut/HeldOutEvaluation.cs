using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.Scheduling;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Torch.HeldOut;

/// <summary>A function a search found, to be re-trained on held-out tasks: a short name (e.g. <c>#17</c>) and its graph.</summary>
public sealed record HeldOutCandidate(string Name, Expr Genome)
{
    /// <summary>
    /// The tasks this function was selected on (its search's tasks): its rows there are re-trained with fresh seeds but are
    /// not held out, so they do not count in its transfer record.
    /// </summary>
    public IReadOnlyList<string> SelectedOn { get; init; } = [];

    public string Formula => TextPrinter.PrintCanonical(Genome);

    public bool IsLayer => Genome.HasAggregates();
}

/// <summary>How the found function compares with the best baseline on a task, at the significance level.</summary>
public enum HeldOutVerdict
{
    /// <summary>Better on average and p &lt; alpha.</summary>
    SignificantlyBetter,

    /// <summary>Better on average, but p &gt;= alpha.</summary>
    BetterNotSignificant,

    /// <summary>Exactly the same mean (e.g. the search found a baseline itself).</summary>
    NoDifference,

    /// <summary>Worse on average, but p &gt;= alpha.</summary>
    WorseNotSignificant,

    /// <summary>Worse on average and p &lt; alpha.</summary>
    SignificantlyWorse,

    /// <summary>No test possible (one seed, identical constant results, diverged runs).</summary>
    Untestable,
}

/// <summary>One function's results on one task: mean ± std over the seeds; the learning rate it trained at when the protocol chose one.</summary>
/// <summary>One function's runs on one task, with its cost: learnable numbers per slot and nominal FLOPs per element.</summary>
public sealed record HeldOutRow(string Name, string Formula, bool IsBaseline, TaskSummary Summary, double? LearningRate = null,
    int? Parameters = null, double? Flops = null);

/// <summary>How the held-out runs choose their learning rate.</summary>
public enum HeldOutProtocol
{
    /// <summary>Every function trains at each task's own learning rate.</summary>
    Standard,

    /// <summary>
    /// The evidence protocol: every baseline of the kind, not only the standard ones; each function picks its rate per
    /// task from the task's rate times 1/3, 1 and 3 (or the task's own <see cref="ProxyTaskSpec.RateFactors"/>) on a validation split of the training data
    /// (<see cref="HeldOutEvaluation.ChooseLearningRatesAsync"/>), so no function wins or loses by the rate alone; then it
    /// trains its held-out seeds at that rate.
    /// </summary>
    Evidence,
}

/// <summary>A found function against the task's best baseline: the difference of means (positive = the found one is better) and Welch's test.</summary>
public sealed record HeldOutComparison(string Candidate, string Baseline, double Difference, WelchResult Test, HeldOutVerdict Verdict);

/// <summary>One held-out task: every row (best first), the best baseline, and each found function compared with it.</summary>
public sealed record HeldOutTaskResult(string Task, TaskMetric Metric, IReadOnlyList<HeldOutRow> Rows, string BestBaseline,
    IReadOnlyList<HeldOutComparison> Comparisons)
{
    /// <summary>The comparison of the found function with the best mean on this task.</summary>
    public HeldOutComparison? Best => Comparisons.Count == 0 ? null : Comparisons[0];
}

/// <summary>The whole held-out evaluation.</summary>
public sealed record HeldOutResult(IReadOnlyList<HeldOutTaskResult> Tasks, int Seeds, int? Steps, string Device, double Alpha)
{
    public HeldOutProtocol Protocol { get; init; } = HeldOutProtocol.Standard;

    /// <summary>The first of the <see cref="Seeds"/> consecutive seeds (1 unless a confirmation asked for fresh ones).</summary>
    public int FirstSeed { get; init; } = 1;

    /// <summary>The seeds as text: <c>1..5</c>.</summary>
    public string SeedRange => $"{FirstSeed}..{FirstSeed + Seeds - 1}";

    /// <summary>Per found function (by name), the tasks it was selected on (<see cref="HeldOutCandidate.SelectedOn"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SelectedOn { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Whether <paramref name="candidate"/> was selected on <paramref name="task"/>, so its row there is not held out.</summary>
    public bool WasSelectedOn(string candidate, string task) => SelectedOn.TryGetValue(candidate, out var tasks) && tasks.Contains(task);

    /// <summary>
    /// Each found function's record across the held-out tasks against each task's best baseline, in the order the
    /// functions first appear: wins (significantly better), losses (significantly worse), ties (the rest, untestable
    /// included). A task the function was selected on is not held out for it and does not count.
    /// </summary>
    public IReadOnlyList<TransferRow> Transfer =>
    [
        .. Tasks.SelectMany(t => t.Comparisons.Where(c => !WasSelectedOn(c.Candidate, t.Task))).GroupBy(c => c.Candidate).Select(g => new TransferRow(
            g.Key,
            g.Count(c => c.Verdict == HeldOutVerdict.SignificantlyBetter),
            g.Count(c => c.Verdict is not (HeldOutVerdict.SignificantlyBetter or HeldOutVerdict.SignificantlyWorse)),
            g.Count(c => c.Verdict == HeldOutVerdict.SignificantlyWorse))),
    ];
}

/// <summary>
/// A found function's transfer record: on how many held-out tasks it is significantly better than the best baseline
/// (wins), not significantly different (ties) or significantly worse (losses).
/// </summary>
public sealed record TransferRow(string Candidate, int Wins, int Ties, int Losses)
{
    /// <summary>Wins on at least this many tasks (and no loss) is the bar a discovered function must clear (issue 17).</summary>
    public const int WinsNeeded = 2;

    /// <summary>Significantly better on at least <see cref="WinsNeeded"/> held-out tasks and significantly worse on none.</summary>
    public bool ClearsTheBar => Wins >= WinsNeeded && Losses == 0;

    /// <summary>One plain sentence: whether the function transfers, and why not.</summary>
    public string Verdict => ClearsTheBar
        ? $"{Candidate} transfers: significantly better than the best baseline on {Wins} held-out task(s), tied on {Ties}, worse on none."
        : Losses > 0
            ? $"{Candidate} does NOT transfer: significantly worse than the best baseline on {Losses} held-out task(s) (better on {Wins}, tied on {Ties})."
            : $"{Candidate} does NOT clear the bar: significantly better on {Wins} held-out task(s), {WinsNeeded} needed (tied on {Ties}, worse on none).";
}

/// <summary>
/// Re-trains a job's best functions and the standard baselines on proxy tasks the search did not use, several seeds
/// each, and tests the best found function against the best baseline per task (Welch's t-test, two-sided). Training
/// goes through <see cref="Baselines.RunAsync"/>, exactly as <c>actsearch baselines</c> trains.
/// </summary>
public static class HeldOutEvaluation
{
    public const double DefaultAlpha = 0.05;

    /// <summary>The baselines scalar activations are compared with (<c>glu</c> and <c>bilinear</c> run on gated tasks only).</summary>
    public static IReadOnlyList<string> ActivationBaselines { get; } = ["relu", "gelu", "silu", "mish", "elu", "selu", "tanh", "glu", "bilinear"];

    /// <summary>The standard baselines for a kind of function: the activations above, or every layer baseline (BN+ReLU, EvoNorm-S0, -B0).</summary>
    public static IReadOnlyList<Baseline> StandardBaselines(bool layer) => layer
        ? Baselines.Layers
        : [.. ActivationBaselines.Select(n => Baselines.Activations.Single(b => b.Name == n))];

    /// <summary>
    /// The baselines a protocol compares with: the standard ones, or under <see cref="HeldOutProtocol.Evidence"/> every
    /// baseline of the kind (GoLU, PolyReLU, Swish-beta, CRReLU, leaky ReLU too), so the best baseline is the best known.
    /// </summary>
    public static IReadOnlyList<Baseline> BaselinesFor(HeldOutProtocol protocol, bool layer) =>
        protocol == HeldOutProtocol.Evidence ? layer ? Baselines.Layers : Baselines.Activations : StandardBaselines(layer);

    /// <summary>
    /// The held-out tasks by default: every proxy task taking this kind of function, minus the search's tasks, minus
    /// <c>regression</c> for activations (a curve fit, not a network benchmark). Empty when none is left (a layer search
    /// that trained on every layer task).
    /// </summary>
    public static IReadOnlyList<string> DefaultTasks(IEnumerable<string> searchTasks, bool layer)
    {
        var used = searchTasks.ToHashSet(StringComparer.Ordinal);
        return [.. ProxyTasks.All.Values
            .Where(t => t.Spec.NormActivationSlots == layer && !used.Contains(t.Spec.Name) && (layer || t.Spec.Name != "regression"))
            .Select(t => t.Spec.Name)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether a task takes this kind of function (layers replace BN+ReLU; activations go elsewhere).</summary>
    public static bool Accepts(string task, bool layer) => ProxyTasks.Get(task).Spec.NormActivationSlots == layer;

    /// <summary>
    /// Trains candidates and baselines on every task with seeds 1..<paramref name="seeds"/> and compares them. Under
    /// <see cref="HeldOutProtocol.Evidence"/> each function first picks its learning rate per task on the validation
    /// split (<see cref="ChooseLearningRatesAsync"/>), and its held-out runs train at that rate.
    /// </summary>
    public static async Task<HeldOutResult> RunAsync(IReadOnlyList<HeldOutCandidate> candidates, IReadOnlyList<Baseline> baselines,
        IReadOnlyList<string> tasks, int seeds, int? steps, DeviceSlots slots, double alpha = DefaultAlpha, CancellationToken cancellation = default,
        HeldOutProtocol protocol = HeldOutProtocol.Standard, int firstSeed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seeds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstSeed, 1);
        var found = candidates.Select(c => Baseline.Of(c.Name, c.Formula, c.Genome, c.IsLayer, "found by the search")).ToList();
        List<Baseline> functions = [.. found, .. baselines];
        var rates = protocol == HeldOutProtocol.Evidence ? await ChooseLearningRatesAsync(functions, tasks, steps, slots, cancellation) : null;
        var rows = await Baselines.RunAsync(functions, tasks, Enumerable.Range(firstSeed, seeds).Select(s => (ulong)s), steps, slots, cancellation,
            rates is null ? null : (b, t) => t with { Spec = t.Spec.WithLearningRate(rates[(b.Name, t.Spec.Name)]) });
        var foundNames = found.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var results = new List<HeldOutTaskResult>();
        foreach (string task in tasks)
        {
            var taskRows = rows.SelectMany(r => r.Summaries.Where(s => s.Task == task)
                .Select(s => new HeldOutRow(r.Baseline.Name, r.Baseline.Formula, !foundNames.Contains(r.Baseline.Name), s,
                    rates?[(r.Baseline.Name, task)], r.Baseline.Parameters, r.Baseline.Flops))).ToList();
            if (taskRows.Count == 0) continue;
            results.Add(Compare(task, taskRows, alpha));
        }
        return new HeldOutResult(results, seeds, steps, slots.Device.ToString(), alpha)
        {
            Protocol = protocol,
            FirstSeed = firstSeed,
            SelectedOn = candidates.Where(c => c.SelectedOn.Count > 0).ToDictionary(c => c.Name, c => c.SelectedOn, StringComparer.Ordinal),
        };
    }

    /// <summary>The learning rates the evidence protocol tries on a task, lowest first: its own rate times each of its <see cref="ProxyTaskSpec.RateFactors"/>.</summary>
    public static IReadOnlyList<double> LearningRatesFor(ProxyTaskSpec task) => [.. task.RateFactors.Order().Select(f => task.LearningRate * f)];

    /// <summary>Seeds per learning rate on the validation split (1..this).</summary>
    public const int ValidationSeeds = 2;

    /// <summary>
    /// Each function's learning rate per task: of <see cref="LearningRatesFor"/>, the one with the best mean validation
    /// score over seeds 1..<see cref="ValidationSeeds"/>, trained on 90% of the task's training data and scored on the other
    /// 10% (<see cref="ProxyTaskDefinition.OnValidationSplit"/>); the held-out examples are never seen. Ties go to the
    /// rate nearest the task's own, then to the lower rate.
    /// </summary>
    public static async Task<IReadOnlyDictionary<(string Function, string Task), double>> ChooseLearningRatesAsync(
        IReadOnlyList<Baseline> functions, IReadOnlyList<string> tasks, int? steps, DeviceSlots slots, CancellationToken cancellation = default)
    {
        var seeds = Enumerable.Range(1, ValidationSeeds).Select(s => (ulong)s).ToList();
        var sweeps = new List<(int Index, Task<IReadOnlyList<BaselineRow>> Rows)>();
        int points = tasks.Max(t => LearningRatesFor(ProxyTasks.Get(t).Spec).Count);
        for (int i = 0; i < points; i++)
        {
            int index = i;
            var tried = tasks.Where(t => LearningRatesFor(ProxyTasks.Get(t).Spec).Count > index).ToList();
            sweeps.Add((i, Baselines.RunAsync(functions, tried, seeds, steps, slots, cancellation,
                (_, t) => t.OnValidationSplit() with { Spec = t.Spec.WithLearningRate(LearningRatesFor(t.Spec)[index]) })));
        }
        await Task.WhenAll(sweeps.Select(s => s.Rows));
        var chosen = new Dictionary<(string, string), double>();
        foreach (string task in tasks)
        {
            var spec = ProxyTasks.Get(task).Spec;
            var rates = LearningRatesFor(spec);
            foreach (var f in functions.Where(f => f.Fits(spec)))
            {
                var scored = sweeps.Take(rates.Count)
                    .Select(s => (s.Index, Summary: s.Rows.Result.Single(r => r.Baseline == f).Summaries.Single(x => x.Task == task)))
                    .OrderByDescending(x => Goodness1(x.Summary.Mean, x.Summary.Metric))
                    .ThenBy(x => Math.Abs(Math.Log(rates[x.Index] / spec.LearningRate)))
                    .ThenBy(x => x.Index)
                    .First();
                chosen[(f.Name, task)] = rates[scored.Index];
            }
        }
        return chosen;
    }

    /// <summary>Ranks a task's rows (best mean first) and tests every found function against the best baseline.</summary>
    public static HeldOutTaskResult Compare(string task, IReadOnlyList<HeldOutRow> rows, double alpha = DefaultAlpha)
    {
        var metric = rows[0].Summary.Metric;
        double Goodness(HeldOutRow r) => Goodness1(r.Summary.Mean, metric);
        var ranked = rows.OrderByDescending(Goodness).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();
        var bestBaseline = ranked.FirstOrDefault(r => r.IsBaseline);
        var comparisons = new List<HeldOutComparison>();
        if (bestBaseline is not null)
            foreach (var r in ranked.Where(r => !r.IsBaseline))
            {
                var test = WelchTest.Compare(r.Summary.Mean, r.Summary.Std, r.Summary.Seeds, bestBaseline.Summary.Mean, bestBaseline.Summary.Std, bestBaseline.Summary.Seeds);
                double difference = Goodness(r) - Goodness(bestBaseline);
                comparisons.Add(new HeldOutComparison(r.Name, bestBaseline.Name, difference, test, VerdictOf(difference, test, alpha)));
            }
        return new HeldOutTaskResult(task, metric, ranked, bestBaseline?.Name ?? "", comparisons);
    }

    public static HeldOutVerdict VerdictOf(double difference, WelchResult test, double alpha = DefaultAlpha)
    {
        if (difference == 0 && test.Defined) return HeldOutVerdict.NoDifference;
        if (!test.Defined || double.IsNaN(difference)) return HeldOutVerdict.Untestable;
        bool significant = test.PValue < alpha;
        return difference > 0
            ? significant ? HeldOutVerdict.SignificantlyBetter : HeldOutVerdict.BetterNotSignificant
            : significant ? HeldOutVerdict.SignificantlyWorse : HeldOutVerdict.WorseNotSignificant;
    }

    /// <summary>One plain sentence for a verdict, as the report prints it.</summary>
    public static string Describe(HeldOutComparison c, double alpha = DefaultAlpha) => c.Verdict switch
    {
        HeldOutVerdict.SignificantlyBetter => $"{c.Candidate} is significantly better than the best baseline {c.Baseline} (p = {P(c.Test.PValue)} < {alpha}).",
        HeldOutVerdict.BetterNotSignificant => $"{c.Candidate} is NOT significantly better than the best baseline {c.Baseline}: higher on average, but p = {P(c.Test.PValue)} >= {alpha}.",
        HeldOutVerdict.NoDifference => $"{c.Candidate} is NOT better than the best baseline {c.Baseline}: exactly the same mean (p = {P(c.Test.PValue)}).",
        HeldOutVerdict.WorseNotSignificant => $"{c.Candidate} is NOT better than the best baseline {c.Baseline}: worse on average (p = {P(c.Test.PValue)}, not significant).",
        HeldOutVerdict.SignificantlyWorse => $"{c.Candidate} is significantly WORSE than the best baseline {c.Baseline} (p = {P(c.Test.PValue)} < {alpha}).",
        _ => $"{c.Candidate} against {c.Baseline}: no test possible (needs at least 2 seeds with finite, varying results); it is NOT shown to be better.",
    };

    /// <summary>A p-value for people: three significant digits, "&lt; 0.0001" below that.</summary>
    public static string P(double p) => double.IsNaN(p) ? "n/a" : p < 1e-4 ? "< 0.0001" : p.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    private static double Goodness1(double mean, TaskMetric metric) =>
        double.IsNaN(mean) ? double.NegativeInfinity : metric == TaskMetric.Accuracy ? mean : -mean;
}
