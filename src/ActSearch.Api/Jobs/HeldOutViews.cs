using System.Text.Json;

namespace ActSearch.Api;

/// <summary>
/// A job's latest held-out evaluation, as <c>GET /api/jobs/{id}/heldout</c> returns it and storage keeps it (one JSON
/// document, schema 8): the found functions and the baselines re-trained on tasks the search did not use, each found
/// function's transfer record, and per task every row with its test against the best baseline. Written by
/// <c>actsearch report</c>; <see cref="EvaluatedAt"/> is when it was saved. <see cref="Notes"/> are the report's caveats
/// (a search task re-trained rather than held out, fewer steps than the tasks' own, a learning rate at the grid's edge).
/// </summary>
public sealed record HeldOutView(
    Guid JobId, DateTimeOffset EvaluatedAt, string Protocol, int Seeds, int? Steps, string Device, double Alpha,
    IReadOnlyList<TransferView> Transfer, IReadOnlyList<HeldOutTaskView> Tasks, IReadOnlyList<string>? Notes = null)
{
    /// <summary>How the document is written and read: the API's JSON (camelCase, non-finite numbers as null).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { Converters = { new FiniteDoubleConverter() } };
}

/// <summary>
/// A found function across the held-out tasks: significantly better than the task's best baseline (wins), no significant
/// difference (ties), significantly worse (losses); <see cref="Transfers"/> when it wins on two or more and loses on none.
/// </summary>
public sealed record TransferView(string Function, int Wins, int Ties, int Losses, bool Transfers, string Verdict);

/// <summary>One held-out task: its metric (<c>accuracy</c> or <c>loss</c>), the best baseline, the verdict in words, the rows best first.</summary>
public sealed record HeldOutTaskView(string Task, string Metric, string BestBaseline, string? Verdict, IReadOnlyList<HeldOutRowView> Rows);

/// <summary>
/// One function on one task: mean ± std over the seeds, half the 95% confidence interval, the learning rate it trained at
/// when the protocol chose one (null: the task's own), and for a found function its test against the best baseline
/// (difference of means, positive = better; Welch's t, degrees of freedom, two-sided p; the verdict in words), and its cost:
/// learnable numbers per slot and nominal FLOPs per element (null in documents saved before they were recorded).
/// </summary>
public sealed record HeldOutRowView(
    string Function, string Formula, bool Baseline, int Seeds, double Mean, double Std, double HalfWidth95, double? LearningRate,
    double? Difference, double? T, double? DegreesOfFreedom, double? P, string? Verdict, int? Parameters = null, double? Flops = null);
