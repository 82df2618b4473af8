using System.Globalization;
using System.Text;
using System.Text.Json;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.SearchSpaces;
using ActSearch.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.Json;
using StoredStatus = ActSearch.Storage.JobStatus;

namespace ActSearch.Api;

/// <summary>The <c>/api/jobs</c> routes (docs/http-api.md, "Jobs").</summary>
internal static class JobEndpoints
{
    public const int MaxPageSize = 200;
    private const int MaxNameLength = 200;
    private static readonly string[] YamlTypes = ["application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml", "text/plain"];

    /// <summary>The fields of the JSON envelope (<see cref="SubmitRequest"/>); any other is refused by name.</summary>
    private static readonly string[] EnvelopeFields = ["space", "fileName", "name", "seed", "budget", "wallTime"];

    public static RouteGroupBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").WithTags("Jobs");
        jobs.MapPost("", SubmitAsync).WithName("SubmitJob")
            .WithSummary("Submit a search (the search space as YAML, or JSON)")
            // One Accepts: routing answers 415 for a type not listed here (and only the last Accepts counts).
            .Accepts<SubmitRequest>("application/json", "application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml", "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        jobs.MapGet("", ListAsync).WithName("ListJobs").WithSummary("Jobs, newest first").ProducesProblem(StatusCodes.Status400BadRequest);
        jobs.MapGet("/{id:guid}", GetAsync).WithName("GetJob").WithSummary("One job");
        jobs.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelJob").WithSummary("Cancel a job (a final job is returned as it is)")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        jobs.MapGet("/{id:guid}/front", FrontAsync).WithName("GetJobFront").WithSummary("The Pareto front after a generation");
        jobs.MapGet("/{id:guid}/funnel", FunnelAsync).WithName("GetJobFunnel").WithSummary("The rejection funnel");
        jobs.MapGet("/{id:guid}/heldout", HeldOutAsync).WithName("GetJobHeldOut")
            .WithSummary("The job's latest held-out evaluation (saved by actsearch report); 204 when it has none yet").ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id:guid}/surrogate", SurrogateAsync).WithName("GetJobSurrogate")
            .WithSummary("The surrogate's predictions and how well they ranked the trained children; 204 when the job has no surrogate").ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id:guid}/events", JobEvents.StreamAsync).WithName("JobEvents")
            .WithSummary("Progress as server-sent events: 'job' on every change, 'end' when final")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(StatusCodes.Status404NotFound);
        return jobs;
    }

    /// <summary>The JSON form of a submission: the space as YAML text (or a JSON object) with overrides.</summary>
    public sealed record SubmitRequest(JsonElement Space, string? FileName, string? Name, JsonElement? Seed, int? Budget, double? WallTime);

    /// <summary>How long a client whose token is at its job limit is told to wait before it tries again.</summary>
    public static readonly TimeSpan RetryAfterLimit = TimeSpan.FromSeconds(30);

    private static async Task<Results<Created<JobView>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request, JobService jobs, ActSearchStorage storage, IOptions<ActSearchOptions> settings, CancellationToken cancellation)
    {
        string body;
        try
        {
            body = await ReadBodyAsync(request, cancellation);
        }
        catch (DecoderFallbackException)
        {
            return Problems.BadRequest("The request body is not UTF-8 text.");
        }
        var q = request.Query;
        string? mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        string space;
        string? fileName = q["fileName"].FirstOrDefault();
        string? name = q["name"].FirstOrDefault(), seedText = q["seed"].FirstOrDefault(), budgetText = q["budget"].FirstOrDefault(), wallText = q["wallTime"].FirstOrDefault();
        if (mediaType is "application/json" or "text/json" || (mediaType?.EndsWith("+json", StringComparison.Ordinal) ?? false))
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                return Problems.BadRequest($"The request body is not valid JSON: {e.Message}");
            }
            using (doc)
            try
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return Problems.BadRequest("The JSON body must be an object: {\"space\": \"<YAML>\", ...} or the search space itself.");
                if (root.TryGetProperty("space", out var s))
                {
                    // The envelope: the space as YAML text (or as a JSON object), overrides beside it.
                    space = s.ValueKind switch
                    {
                        JsonValueKind.String => s.GetString()!,
                        JsonValueKind.Object => JsonToYaml.Convert(s),
                        _ => "",
                    };
                    if (space.Length == 0) return Problems.BadRequest("'space' must be the search space as YAML text (or a JSON object).");
                    foreach (var field in root.EnumerateObject())
                        if (!EnvelopeFields.Contains(field.Name, StringComparer.Ordinal))
                            return Problems.BadRequest($"'{Shorten(field.Name)}' is not a field of a submission; the fields are {string.Join(", ", EnvelopeFields)}.");
                    if (!TryText(root, "fileName", ref fileName, out var bad) || !TryText(root, "name", ref name, out bad)
                        || !TryScalar(root, "seed", ref seedText, out bad) || !TryScalar(root, "budget", ref budgetText, out bad)
                        || !TryScalar(root, "wallTime", ref wallText, out bad))
                        return Problems.BadRequest(bad!);
                }
                else
                {
                    space = JsonToYaml.Convert(root); // the search space itself, as a JSON object
                }
            }
            catch (InvalidOperationException) // System.Text.Json cannot transcode a lone surrogate escape such as \ud800
            {
                return Problems.BadRequest("The JSON body holds a string that is not Unicode text (an unpaired surrogate escape such as \\ud800).");
            }
        }
        else if (mediaType is null || YamlTypes.Contains(mediaType))
        {
            space = body;
        }
        else
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Content-Type '{mediaType}' is not accepted; send the space as application/yaml or application/json.");
        }

        var problems = new List<string>();
        ulong? seed = null;
        if (seedText is { Length: > 0 })
        {
            if (ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var s)) seed = s;
            else problems.Add($"seed: '{seedText}' is not a whole number from 0 to {ulong.MaxValue}.");
        }
        int? budget = null;
        if (budgetText is { Length: > 0 })
        {
            if (int.TryParse(budgetText, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b is > 0 and <= SearchSpaceDefaults.MaxEvaluations) budget = b;
            else problems.Add($"budget: '{Shorten(budgetText)}' is not a whole number of evaluations from 1 to {SearchSpaceDefaults.MaxEvaluations:N0}.");
        }
        TimeSpan? wallTime = null;
        if (wallText is { Length: > 0 })
        {
            if (double.TryParse(wallText, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && w > 0 && w < TimeSpan.MaxValue.TotalSeconds) wallTime = TimeSpan.FromSeconds(w);
            else problems.Add($"wallTime: '{wallText}' is not a positive number of seconds.");
        }
        fileName ??= "space.yaml";
        if (name is { Length: > MaxNameLength }) problems.Add($"name: longer than {MaxNameLength} characters.");
        else if (name is not null && name.Any(char.IsControl)) problems.Add("name: holds a control character (a NUL byte, a line break, ...); give printable text.");
        if (fileName.Length is 0 or > MaxNameLength || fileName.Any(char.IsControl)) problems.Add($"fileName: give a file name of 1 to {MaxNameLength} printable characters.");
        if (problems.Count > 0) return Problems.BadRequest(problems[0], problems);

        if (!SearchSpaceLoader.TryLoadFromText(space, fileName, out var loaded, out var errors))
        {
            var messages = errors.Select(e => e.ToString()).ToList();
            return Problems.Of(StatusCodes.Status400BadRequest, "Invalid search space", messages[0], messages);
        }
        string owner = BearerTokens.OwnerOf(BearerTokens.FromHeader(request));
        int limit = settings.Value.ApiMaxJobsPerToken;
        if (limit > 0 && await storage.Jobs.CountUnfinishedAsync(owner, cancellation) is var open && open >= limit)
        {
            request.HttpContext.Response.Headers.RetryAfter = ((int)RetryAfterLimit.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Problems.Of(StatusCodes.Status429TooManyRequests, "Too many jobs",
                $"This token has {open} jobs queued, running or paused; the limit is {limit} (ACTSEARCH_API_MAX_JOBS_PER_TOKEN). Submit again when one has ended.");
        }
        var spec = new JobSpec(space, fileName, name is { Length: > 0 } ? name : loaded.Name, owner, seed, budget, wallTime);
        JobView job;
        try
        {
            job = await jobs.SubmitAsync(spec, cancellation);
        }
        catch (InvalidJobException e) when (e.Problems.Length > 0)
        {
            var messages = e.Problems.Select(p => p.ToString()).ToList();
            return Problems.Of(StatusCodes.Status400BadRequest, "Invalid search space", messages[0], messages);
        }
        return TypedResults.Created($"/api/jobs/{job.Id}", job);
    }

    private static string Shorten(string text) => QueryNumbers.Shorten(text);

    private static bool TryText(JsonElement root, string property, ref string? value, out string? problem) =>
        TryProperty(root, property, ref value, out problem, allowNumber: false);

    private static bool TryScalar(JsonElement root, string property, ref string? value, out string? problem) =>
        TryProperty(root, property, ref value, out problem, allowNumber: true);

    private static bool TryProperty(JsonElement root, string property, ref string? value, out string? problem, bool allowNumber)
    {
        problem = null;
        if (!root.TryGetProperty(property, out var e) || e.ValueKind == JsonValueKind.Null) return true;
        if (e.ValueKind == JsonValueKind.String || (allowNumber && e.ValueKind == JsonValueKind.Number))
        {
            value = e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText();
            return true;
        }
        problem = $"{property}: expected {(allowNumber ? "a number" : "a string")}, got {e.ValueKind.ToString().ToLowerInvariant()}.";
        return false;
    }

    /// <summary>The body as UTF-8 text, at most <see cref="ApiLimits.MaxBodyBytes"/> (413 beyond, through <see cref="BadHttpRequestException"/>).</summary>
    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellation)
    {
        if (request.ContentLength > ApiLimits.MaxBodyBytes) throw TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > ApiLimits.MaxBodyBytes) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static BadHttpRequestException TooLarge() =>
        new($"The request body is larger than {ApiLimits.MaxBodyBytes / 1024} KiB.", StatusCodes.Status413PayloadTooLarge);

    private static async Task<Results<Ok<Paged<JobView>>, ProblemHttpResult>> ListAsync(
        JobService jobs, string? state, string? page, string? pageSize, CancellationToken cancellation)
    {
        StoredStatus? status = null;
        if (state is { Length: > 0 })
        {
            // One state, by its name: Enum.TryParse also took "running,paused" (the flags of Finished) and numbers.
            var states = Enum.GetValues<StoredStatus>();
            int k = Array.FindIndex(states, v => string.Equals(v.ToString(), state, StringComparison.OrdinalIgnoreCase));
            if (k < 0)
                return Problems.BadRequest($"state: '{Shorten(state)}' is not one of {string.Join(", ", states.Select(JobService.StoredState))} (one state per request).");
            status = states[k];
        }
        if (Paging.Read(page, pageSize, out var p, out var size) is { } problem) return problem;
        return TypedResults.Ok(await jobs.ListAsync(status, p, size, cancellation));
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(Guid id, JobService jobs, CancellationToken cancellation) =>
        await jobs.GetAsync(id, cancellation) is { } job ? TypedResults.Ok(job) : Problems.NotFound($"No job {id}.");

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelAsync(Guid id, JobService jobs, CancellationToken cancellation) =>
        await jobs.CancelAsync(id, cancellation) is { } job ? TypedResults.Ok(job) : Problems.NotFound($"No job {id}.");

    private static async Task<Results<Ok<FrontView>, ProblemHttpResult>> FrontAsync(Guid id, string? generation, JobService jobs, CancellationToken cancellation)
    {
        if (QueryNumbers.Read(generation, "generation", 0, int.MaxValue, out var g) is { } problem) return problem;
        try
        {
            return await jobs.FrontAsync(id, g, cancellation) is { } front ? TypedResults.Ok(front) : Problems.NotFound($"No job {id}.");
        }
        catch (KeyNotFoundException e)
        {
            return Problems.NotFound(e.Message);
        }
    }

    private static async Task<Results<Ok<FunnelView>, ProblemHttpResult>> FunnelAsync(Guid id, JobService jobs, CancellationToken cancellation) =>
        await jobs.FunnelAsync(id, cancellation) is { } funnel ? TypedResults.Ok(funnel) : Problems.NotFound($"No job {id}.");

    /// <summary>200 with the predictions; 204 when the job has none (no surrogate, or none ranked yet); 404 for no such job.</summary>
    private static async Task<Results<Ok<SurrogateView>, NoContent, ProblemHttpResult>> SurrogateAsync(Guid id, ActSearchStorage storage, CancellationToken cancellation)
    {
        if (SurrogateView.From(id, await storage.Predictions.ForJobAsync(id, cancellation)) is { } view) return TypedResults.Ok(view);
        return await storage.Jobs.GetAsync(id, cancellation) is null ? Problems.NotFound($"No job {id}.") : TypedResults.NoContent();
    }

    /// <summary>200 with the evaluation; 204 when the job has none yet (not an error: most jobs have none); 404 for no such job.</summary>
    private static async Task<Results<Ok<HeldOutView>, NoContent, ProblemHttpResult>> HeldOutAsync(Guid id, ActSearchStorage storage, CancellationToken cancellation)
    {
        if (await storage.HeldOut.GetAsync(id, cancellation) is { } stored
            && JsonSerializer.Deserialize<HeldOutView>(stored.DocumentJson, HeldOutView.Json) is { } view)
            return TypedResults.Ok(view with { JobId = id, EvaluatedAt = stored.EvaluatedAt, Protocol = stored.Protocol });
        return await storage.Jobs.GetAsync(id, cancellation) is null ? Problems.NotFound($"No job {id}.") : TypedResults.NoContent();
    }
}

/// <summary>Limits on what a request may ask for.</summary>
public static class ApiLimits
{
    /// <summary>Request bodies: 1 MiB (413 beyond).</summary>
    public const long MaxBodyBytes = 1 << 20;
}

internal static class Paging
{
    /// <summary>The page and its size from the query (defaults 1 and 50); a problem in our words for anything else.</summary>
    public static ProblemHttpResult? Read(string? page, string? pageSize, out int pageNumber, out int size)
    {
        pageNumber = 1;
        size = 50;
        if (QueryNumbers.Read(page, "page", 1, int.MaxValue, out var p) is { } problem) return problem;
        if (QueryNumbers.Read(pageSize, "pageSize", 1, JobEndpoints.MaxPageSize, out var s) is { } sizeProblem) return sizeProblem;
        pageNumber = p ?? 1;
        size = s ?? 50;
        return null;
    }
}

/// <summary>
/// Whole numbers from the query string, read here rather than by the framework's binding, whose refusal ("Failed to bind
/// parameter ...") is .NET's words without a detail.
/// </summary>
internal static class QueryNumbers
{
    public static ProblemHttpResult? Read(string? text, string name, int min, int max, out int? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text)) return null;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max)
        {
            value = v;
            return null;
        }
        return Problems.BadRequest(max == int.MaxValue
            ? $"{name}: '{Shorten(text)}' is not a whole number from {min}."
            : $"{name}: '{Shorten(text)}' is not a whole number from {min} to {max}.");
    }

    public static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
