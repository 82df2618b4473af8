using System.Net;
using System.Text;
using System.Text.Json;
using ActSearch.Api;
using ActSearch.Expressions;
using ActSearch.Storage;

namespace ActSearch.Cli;

/// <summary>
/// The API's read routes answered from a local store, in process: <c>GET api/jobs</c>, <c>api/jobs/{id}</c>,
/// <c>api/activations</c> and <c>api/activations/{id}/export</c>, through the API's own services, so the client commands
/// read what a server would send. What <c>actsearch jobs</c>, <c>activations</c> and <c>export</c> use when no server is
/// configured (no --server, no ACTSEARCH_SERVER): after a local <c>run</c>, browsing needs no server. Anything else is
/// refused with how to reach a server.
/// </summary>
internal sealed class LocalReads(ActSearchStorage storage) : HttpMessageHandler
{
    private static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web) { Converters = { new FiniteDoubleConverter() } };

    private readonly BrowseQueries _browse = new(storage);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        string[] path = uri.AbsolutePath.Trim('/').Split('/');
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        if (request.Method != HttpMethod.Get) return Problem(HttpStatusCode.NotImplemented, NeedsServer);
        var jobs = new JobService(null, storage, _browse);
        switch (path)
        {
            case ["api", "jobs"]:
                JobStatus? status = query["state"] is { Length: > 0 } s && Enum.TryParse<JobStatus>(s, ignoreCase: true, out var st) ? st : null;
                return Json(await jobs.ListAsync(status, Int(query["page"], 1), Int(query["pageSize"], 50), cancellationToken));
            case ["api", "jobs", var id] when Guid.TryParse(id, out var jobId):
                return await jobs.GetAsync(jobId, cancellationToken) is { } job ? Json(job) : Problem(HttpStatusCode.NotFound, $"No job {jobId}.");
            case ["api", "activations"]:
                var q = new ActivationQuery(query["sort"] ?? "score", query["objective"], query["task"], query["q"], Int(query["page"], 1), Int(query["pageSize"], 50));
                try
                {
                    return Json(await new ActivationCatalog(_browse).ListAsync(q, cancellationToken));
                }
                catch (ArgumentException e)
                {
                    return Problem(HttpStatusCode.BadRequest, e.Message);
                }
            case ["api", "activations", var text, "export"] when ActivationCatalog.TryParseId(text, out var fingerprint):
                if (!Exports.TryParseFormat(query["format"], out var format)) return Problem(HttpStatusCode.BadRequest, $"format: '{query["format"]}' is not known.");
                return await new ActivationCatalog(_browse).ExportAsync(fingerprint, format, cancellationToken) is { } code
                    ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(code, Encoding.UTF8, "text/plain") }
                    : Problem(HttpStatusCode.NotFound, $"No activation {text}.");
            default:
                return Problem(HttpStatusCode.NotImplemented, NeedsServer);
        }
    }

    private const string NeedsServer = "this needs a server: give --server or ACTSEARCH_SERVER (actsearch serve starts one on this store).";

    private static int Int(string? text, int fallback) => int.TryParse(text, out int v) ? v : fallback;

    private static HttpResponseMessage Json<T>(T value) =>
        new(HttpStatusCode.OK) { Content = new StringContent(JsonSerializer.Serialize(value, ApiJson), Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Problem(HttpStatusCode status, string detail) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(new { title = status.ToString(), status = (int)status, detail }, ApiJson),
            Encoding.UTF8, "application/problem+json"),
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing) storage.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
