using ActSearch.Expressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Routing;

namespace ActSearch.Api;

/// <summary>The <c>/api/activations</c> routes (docs/http-api.md, "Activations").</summary>
internal static class ActivationEndpoints
{
    public static RouteGroupBuilder MapActivations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/activations").WithTags("Activations").CacheOutput(ActSearchApiExtensions.CatalogCache);
        group.MapGet("", ListAsync).WithName("ListActivations").WithSummary("The activation catalog, by score or most recent");
        group.MapGet("/{id}", GetAsync).WithName("GetActivation").WithSummary("One activation: curves, scores, jobs, exports");
        group.MapGet("/{id}/export", ExportAsync).WithName("ExportActivation").WithSummary("The activation as code (text/plain)")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        group.MapGet("/{id}/plot.svg", PlotAsync).WithName("PlotActivation").WithSummary("f and f' as an SVG image")
            .Produces<string>(StatusCodes.Status200OK, "image/svg+xml");
        return group;
    }

    private static async Task<Results<Ok<Paged<ActivationSummary>>, ProblemHttpResult>> ListAsync(
        ActivationCatalog catalog, string? sort, string? objective, string? task, string? q, string? page, string? pageSize, CancellationToken cancellation)
    {
        if (Paging.Read(page, pageSize, out var p, out var size) is { } problem) return problem;
        if (q is { Length: > 200 }) return Problems.BadRequest("q: longer than 200 characters.");
        foreach (var (name, value) in new[] { ("q", q), ("task", task), ("objective", objective), ("sort", sort) })
            if (value is not null && value.Any(char.IsControl))
                return Problems.BadRequest($"{name}: holds a control character (a NUL byte, a line break, ...); give printable text.");
        try
        {
            var query = new ActivationQuery(sort is { Length: > 0 } s ? s : "score", objective, task, q, p, size);
            return TypedResults.Ok(await catalog.ListAsync(query, cancellation));
        }
        catch (ArgumentException e)
        {
            return Problems.BadRequest(e.Message);
        }
    }

    private static async Task<Results<Ok<Activation>, ProblemHttpResult>> GetAsync(string id, ActivationCatalog catalog, CancellationToken cancellation)
    {
        if (!ActivationCatalog.TryParseId(id, out var fp)) return NotAnId(id);
        return await catalog.GetAsync(fp, cancellation) is { } a ? TypedResults.Ok(a) : Unknown(id);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(string id, string? format, ActivationCatalog catalog, HttpResponse response, CancellationToken cancellation)
    {
        if (!ActivationCatalog.TryParseId(id, out var fp)) return NotAnId(id);
        if (!Exports.TryParseFormat(format, out var f))
            return Problems.BadRequest($"format: '{format}' is not one of {string.Join(", ", Exports.Formats.Select(x => x.Name))}.");
        if (await catalog.ExportAsync(fp, f, cancellation) is not { } code) return Unknown(id);
        response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Text(code, "text/plain; charset=utf-8");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> PlotAsync(string id, ActivationCatalog catalog, HttpResponse response, CancellationToken cancellation)
    {
        if (!ActivationCatalog.TryParseId(id, out var fp)) return NotAnId(id);
        try
        {
            if (await catalog.PlotAsync(fp, cancellation) is not { } svg) return Unknown(id);
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
            return TypedResults.Text(svg, "image/svg+xml; charset=utf-8");
        }
        catch (InvalidOperationException e)
        {
            return Problems.BadRequest(e.Message);
        }
    }

    private static ProblemHttpResult NotAnId(string id) =>
        Problems.NotFound($"No activation '{Shorten(id)}': an activation id is 16 hex digits.");

    private static ProblemHttpResult Unknown(string id) => Problems.NotFound($"No activation {id}.");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
