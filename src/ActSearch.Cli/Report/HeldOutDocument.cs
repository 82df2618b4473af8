using System.Text.Json;
using ActSearch.Api;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.HeldOut;

namespace ActSearch.Cli.Report;

/// <summary>
/// A held-out evaluation as the API's <see cref="HeldOutView"/>: what <c>actsearch report</c> saves with the job (storage
/// schema 8), so the web UI's job page shows the same tables as the report.
/// </summary>
public static class HeldOutDocument
{
    public static HeldOutView From(Guid jobId, HeldOutResult h, IReadOnlyList<string> notes) => new(
        jobId, DateTimeOffset.UtcNow, Protocol(h.Protocol), h.Seeds, h.Steps, h.Device, h.Alpha,
        [.. h.Transfer.Select(t => new TransferView(t.Candidate, t.Wins, t.Ties, t.Losses, t.ClearsTheBar, t.Verdict))],
        [.. h.Tasks.Select(t => new HeldOutTaskView(
            t.Task, t.Metric == TaskMetric.Accuracy ? "accuracy" : "loss", t.BestBaseline,
            t.Best is { } best ? HeldOutEvaluation.Describe(best, h.Alpha) : null,
            [.. t.Rows.Select(r => Row(t, r))]))],
        notes);

    /// <summary>The document as storage keeps it.</summary>
    public static string Json(HeldOutView view) => JsonSerializer.Serialize(view, HeldOutView.Json);

    /// <summary>The protocol's name in the API and the schema: <c>standard</c> or <c>evidence</c>.</summary>
    public static string Protocol(HeldOutProtocol p) => p == HeldOutProtocol.Evidence ? "evidence" : "standard";

    private static HeldOutRowView Row(HeldOutTaskResult t, HeldOutRow r)
    {
        var c = t.Comparisons.FirstOrDefault(x => x.Candidate == r.Name);
        return new HeldOutRowView(
            r.Name, r.Formula, r.IsBaseline, r.Summary.Seeds, r.Summary.Mean, r.Summary.Std, WelchTest.HalfWidth95(r.Summary.Std, r.Summary.Seeds),
            r.LearningRate, c?.Difference, c?.Test.T, c?.Test.DegreesOfFreedom, c?.Test.PValue, c is null ? null : ReportRenderer.VerdictText(c.Verdict),
            r.Parameters, r.Flops);
    }
}
