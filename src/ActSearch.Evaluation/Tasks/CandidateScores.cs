namespace ActSearch.Evaluation.Tasks;

/// <summary>
/// The objectives of one fully evaluated candidate: the training results per proxy task and seed (each with its
/// seed, device, accuracy or loss, network parameter count and activation sparsity), and the candidate's own
/// measurements (complexity, FLOPs per element, forward latency).
/// </summary>
public sealed record CandidateScores
{
    /// <summary>The canonical text of the formula.</summary>
    public required string Canonical { get; init; }

    /// <summary>Its functional fingerprint (hex), the key of the duplicate check and the activation catalog.</summary>
    public required string Fingerprint { get; init; }

    /// <summary><c>activation</c> (element-wise) or <c>layer</c> (has tensor statistics).</summary>
    public required string Kind { get; init; }

    /// <summary>Nodes of the written-out tree (PySR's complexity).</summary>
    public required int Complexity { get; init; }

    /// <summary>Distinct nodes of the graph (EvoNorms' size).</summary>
    public required int NodeCount { get; init; }

    /// <summary>Nominal FLOPs per element (<c>ExprGraph.Flops</c>).</summary>
    public required double FlopsPerElement { get; init; }

    /// <summary>Learnable parameters the formula itself declares (a per-channel one counts once).</summary>
    public required int FormulaParameters { get; init; }

    /// <summary>The candidate module's forward time, median over repeats, on the tensor <see cref="LatencyShape"/>.</summary>
    public required Latency Latency { get; init; }

    /// <summary>The device everything ran on (<c>cpu</c>, <c>cuda:0</c>).</summary>
    public required string Device { get; init; }

    /// <summary>Every training run: one per task and seed, in task order then seed order.</summary>
    public required IReadOnlyList<ProxyTaskResult> Results { get; init; }

    /// <summary>Mean and standard deviation over seeds, per task, in task order.</summary>
    public IReadOnlyList<TaskSummary> Summaries => [.. Results.GroupBy(r => r.Task).Select(TaskSummary.Of)];
}

/// <summary>How long the candidate module's forward pass took: median of <see cref="Repeats"/> timed runs.</summary>
/// <param name="Median">Median wall time of one forward pass.</param>
/// <param name="Shape">The input tensor's shape, e.g. <c>(64, 32, 14, 14)</c>.</param>
/// <param name="Elements">Elements of that tensor.</param>
public sealed record Latency(TimeSpan Median, string Shape, long Elements, int Repeats)
{
    public double Microseconds => Median.TotalMicroseconds;

    public double NanosecondsPerElement => Median.TotalNanoseconds / Elements;
}

/// <summary>A task's results over its seeds: mean ± standard deviation (sample std; 0 for one seed).</summary>
public sealed record TaskSummary(string Task, TaskMetric Metric, int Seeds, double Mean, double Std, double Sparsity, long ParameterCount, TimeSpan MeanWallTime)
{
    /// <summary>The metric's value: accuracy, or the held-out loss for loss tasks (+Inf when training diverged).</summary>
    public static double ValueOf(ProxyTaskResult r) => r.Metric == TaskMetric.Accuracy ? (r.Diverged ? 0 : r.Accuracy) : r.Loss;

    public static TaskSummary Of(IEnumerable<ProxyTaskResult> runs)
    {
        var list = runs.ToList();
        if (list.Count == 0) throw new ArgumentException("No runs to summarize.", nameof(runs));
        var (mean, std) = MeanStd([.. list.Select(ValueOf)]);
        var sparsity = list.Select(r => r.ActivationSparsity).Where(double.IsFinite).ToArray();
        return new TaskSummary(list[0].Task, list[0].Metric, list.Count, mean, std,
            sparsity.Length == 0 ? double.NaN : sparsity.Average(), list[0].ParameterCount,
            TimeSpan.FromTicks((long)list.Average(r => r.WallTime.Ticks)));
    }

    public static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        double mean = values.Average();
        if (values.Count == 1 || !double.IsFinite(mean)) return (mean, values.Count == 1 ? 0 : double.NaN);
        double ss = values.Sum(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(ss / (values.Count - 1)));
    }
}
