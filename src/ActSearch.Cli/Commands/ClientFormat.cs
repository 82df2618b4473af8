using System.Globalization;
using System.Text;

namespace ActSearch.Cli;

/// <summary>How the client commands print jobs, progress and the catalog: plain text tables and one-line progress.</summary>
public static class ClientFormat
{
    public const int BarWidth = 20;

    /// <summary>Columns padded to their widest cell, two spaces apart; the last column is not padded.</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, params int[] rightAligned)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows.Select(r => (IReadOnlyList<string>)[.. r.Select(Clean)]));
        var widths = new int[headers.Count];
        foreach (var row in all)
            for (int i = 0; i < headers.Count; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var sb = new StringBuilder();
        foreach (var row in all)
        {
            var cells = new List<string>();
            for (int i = 0; i < headers.Count; i++)
            {
                bool last = i == headers.Count - 1;
                cells.Add(rightAligned.Contains(i) ? row[i].PadLeft(widths[i]) : last ? row[i] : row[i].PadRight(widths[i]));
            }
            sb.Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A progress bar: <c>[#####...............]</c>; full when <paramref name="done"/> reaches <paramref name="total"/>.</summary>
    public static string Bar(long done, long total, int width = BarWidth)
    {
        int filled = total <= 0 ? 0 : (int)Math.Clamp(done * width / total, 0, width);
        return "[" + new string('#', filled) + new string('.', width - filled) + "]";
    }

    /// <summary>
    /// One line of a job's progress: generation, scored against the budget (with a bar), rejections per stage
    /// and the best value of each objective.
    /// </summary>
    public static string Progress(JobInfo job)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{job.State,-9} gen {job.Generation,3}  ");
        if (job.BudgetEvaluations is { } budget)
            sb.Append(CultureInfo.InvariantCulture, $"{Bar(job.Scored, budget)} {job.Scored}/{budget} scored");
        else
            sb.Append(CultureInfo.InvariantCulture, $"{job.Scored} scored");
        sb.Append(CultureInfo.InvariantCulture, $"  evaluated {job.Evaluated}  rejected {job.Rejected}");
        if (job.RejectedByStage is { Count: > 0 } stages)
            sb.Append(" (").Append(string.Join(", ", Stages(stages).Select(kv => $"{kv.Key} {kv.Value}"))).Append(')');
        if (job.Failed > 0) sb.Append(CultureInfo.InvariantCulture, $"  failed {job.Failed}");
        foreach (var (objective, value) in Best(job)) sb.Append(CultureInfo.InvariantCulture, $"  best {objective} {Number(value)}");
        return Clean(sb.ToString());
    }

    /// <summary>The last lines of a followed job: its final state, counts, error and best candidates.</summary>
    public static string Summary(JobInfo job)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"job {job.Id} {job.State}");
        if (job.RunningTime is { } t) sb.Append(CultureInfo.InvariantCulture, $" after {t:F1} s");
        sb.Append(CultureInfo.InvariantCulture, $": {job.Scored} scored, {job.Evaluated} evaluated, {job.Rejected} rejected, {job.Failed} failed, {job.CacheHits} answered from the duplicate cache\n");
        if (job.Error is { Length: > 0 } error) sb.Append("error: ").Append(Clean(error)).Append('\n');
        if (job.Best is { Count: > 0 } best && job.Objectives is { } objectives)
        {
            var rows = new List<IReadOnlyList<string>>();
            for (int i = 0; i < objectives.Count; i++)
                if (best.TryGetValue(objectives[i], out var entry))
                    rows.Add([objectives[i], Number(i < entry.Objectives.Count ? entry.Objectives[i] : null), entry.ActivationId, entry.Formula]);
            if (rows.Count > 0) sb.Append(Table(["BEST", "VALUE", "ACTIVATION", "FORMULA"], rows, 1));
        }
        return sb.ToString();
    }

    /// <summary>The `actsearch jobs` table, newest first as the server lists them.</summary>
    public static string JobsTable(IEnumerable<JobInfo> jobs) => Table(
        ["ID", "NAME", "STATE", "GEN", "SCORED", "REJECTED", "BEST", "CREATED"],
        jobs.Select(j => (IReadOnlyList<string>)
        [
            j.Id.ToString(), j.Name, j.State, j.Generation.ToString(CultureInfo.InvariantCulture),
            j.BudgetEvaluations is { } b ? $"{j.Scored}/{b}" : j.Scored.ToString(CultureInfo.InvariantCulture),
            j.Rejected.ToString(CultureInfo.InvariantCulture),
            Best(j).FirstOrDefault() is { Key: not null } first ? $"{first.Key} {Number(first.Value)}" : "-",
            j.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        ]), 3, 4, 5);

    /// <summary>
    /// The `actsearch activations` table. SCORE is the best value of <paramref name="objective"/> on
    /// <paramref name="task"/> (default: accuracy, else the first score on a task, else the first score).
    /// </summary>
    public static string ActivationsTable(IEnumerable<ActivationInfo> items, string? objective, string? task) => Table(
        ["ID", "SCORE", "ON", "SEEN", "FORMULA"],
        items.Select(a =>
        {
            var score = PickScore(a.Scores, objective, task);
            return (IReadOnlyList<string>)
            [
                a.Id, score is null ? "-" : Number(score.Value), score is null ? "" : score.Task is { } t ? $"{score.Objective}@{t}" : score.Objective,
                a.TimesSeen.ToString(CultureInfo.InvariantCulture), a.Formula,
            ];
        }), 1, 3);

    public static ScoreInfo? PickScore(IReadOnlyList<ScoreInfo>? scores, string? objective, string? task)
    {
        if (scores is not { Count: > 0 }) return null;
        var candidates = scores.Where(s => task is null || s.Task == task).ToList();
        if (objective is not null) return candidates.FirstOrDefault(s => s.Objective == objective);
        // Accuracy when there is one, else a task's score (loss@regression) before a task-free one (complexity).
        return candidates.FirstOrDefault(s => s.Objective == "accuracy") ?? candidates.FirstOrDefault(s => s.Task is not null) ?? candidates.FirstOrDefault();
    }

    /// <summary>A number in a few characters: 0.8312, 1.23E+05, "nan" for a value the server sent as null.</summary>
    public static string Number(double? v) => v is not { } x ? "nan" : double.IsNaN(x) ? "nan" : Math.Abs(x) >= 1e5 || (x != 0 && Math.Abs(x) < 1e-3)
        ? x.ToString("0.##E+0", CultureInfo.InvariantCulture) : x.ToString("0.####", CultureInfo.InvariantCulture);

    // The best value of each objective, in the job's objective order.
    private static IEnumerable<KeyValuePair<string, double?>> Best(JobInfo job)
    {
        if (job.Best is not { Count: > 0 } best || job.Objectives is not { } objectives) yield break;
        for (int i = 0; i < objectives.Count; i++)
            if (best.TryGetValue(objectives[i], out var entry))
                yield return new(objectives[i], i < entry.Objectives.Count ? entry.Objectives[i] : null);
    }

    // Rejection stages in chain order, unknown ones after them.
    private static IEnumerable<KeyValuePair<string, long>> Stages(IReadOnlyDictionary<string, long> stages)
    {
        string[] order = ["static", "numeric", "duplicate", "stability", "quality"];
        return stages.OrderBy(kv => Array.IndexOf(order, kv.Key) is var i && i < 0 ? int.MaxValue : i).ThenBy(kv => kv.Key, StringComparer.Ordinal);
    }

    /// <summary>Text from the server with control characters (terminal escapes, newlines) shown as '?'.</summary>
    public static string Clean(string text) =>
        text.Any(char.IsControl) ? new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]) : text;
}
