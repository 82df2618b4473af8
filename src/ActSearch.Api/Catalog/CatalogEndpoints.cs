using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ActSearch.Api;

/// <summary>
/// A proxy task as <c>GET /api/catalog/tasks</c> lists it (the task catalog's entry). <see cref="Loss"/>: what training
/// minimizes (<c>cross_entropy</c> or <c>mean_squared_error</c>); <see cref="Gated"/>: the activation slot gates a * f(b);
/// <see cref="FullData"/>: the full data set a <c>data: full</c> rung trains on, or null.
/// </summary>
public sealed record TaskView(
    string Name, string Description, string Data, string Metric, int Steps, int BatchSize, double LearningRate, string Slot,
    string Loss, bool Gated, string? FullData);

/// <summary>An objective as <c>GET /api/catalog/objectives</c> lists it (the objective registry's entry).</summary>
public sealed record ObjectiveView(string Name, string Direction, bool PerTask, string MeasuredBy, string Description);

/// <summary>
/// The <c>/api/catalog</c> routes (docs/http-api.md, "Vocabulary"): the tasks and objectives this server knows, read from
/// the one declaration of each, so the web UI and clients never keep their own lists.
/// </summary>
internal static class CatalogEndpoints
{
    private static readonly TaskView[] Tasks = [.. TaskCatalog.All.Select(t => new TaskView(
        t.Name, t.Description, t.Data, t.Metric == TaskMetric.Accuracy ? "accuracy" : "loss", t.Steps, t.BatchSize, t.LearningRate, t.Slot,
        t.Loss == TaskLoss.CrossEntropy ? "cross_entropy" : "mean_squared_error", t.GatedSlots, t.FullData))];

    private static readonly ObjectiveView[] Objectives = [.. ObjectiveRegistry.All.Select(o => new ObjectiveView(
        o.Name, Direction(o.Direction), o.PerTask, o.Source.ToString().ToLowerInvariant(), o.Description))];

    /// <summary>How a direction reads in the API: <c>maximize</c> or <c>minimize</c>.</summary>
    public static string Direction(ObjectiveDirection d) => d == ObjectiveDirection.Maximize ? "maximize" : "minimize";

    public static RouteGroupBuilder MapCatalog(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog").WithTags("Vocabulary");
        group.MapGet("/tasks", () => TypedResults.Ok(Tasks)).WithName("ListTasks").WithSummary("The proxy tasks a search space may name");
        group.MapGet("/objectives", () => TypedResults.Ok(Objectives)).WithName("ListObjectives")
            .WithSummary("The objectives a search space may name, with their directions");
        return group;
    }
}
