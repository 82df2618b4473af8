using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ActSearch.Storage;

namespace ActSearch.Cli;

/// <summary>
/// A failed call to the server, already in words: <see cref="Lines"/> go to stderr (the first one after
/// "actsearch &lt;command&gt;: "), <see cref="ExitCode"/> is 2 for the caller's mistakes (a refused token, an unknown
/// id, an invalid request) and 1 for everything else (server unreachable, server error).
/// </summary>
public sealed class ApiException(int exitCode, IReadOnlyList<string> lines) : Exception(lines.Count > 0 ? lines[0] : "request failed")
{
    public int ExitCode { get; } = exitCode;

    public IReadOnlyList<string> Lines { get; } = lines;
}

/// <summary>
/// The CLI's client of the coordinator's HTTP API (docs/http-api.md): System.Net.Http and System.Text.Json only.
/// The token, when given, goes with every request (reads may need one too: ACTSEARCH_API_READ_REQUIRES_TOKEN).
/// </summary>
public sealed class ApiClient : IDisposable
{
    public const string DefaultServer = "http://127.0.0.1:5080";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReconnectWindow = TimeSpan.FromMinutes(2);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    private readonly HttpClient _http;
    private readonly bool _hasToken;

    public ApiClient(Uri server, string? token)
        : this(server, token, new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
    {
    }

    private ApiClient(Uri server, string? token, HttpMessageHandler handler, string? location = null)
    {
        Server = server;
        Location = location ?? server.ToString().TrimEnd('/');
        _hasToken = !string.IsNullOrEmpty(token);
        // No overall timeout on the client: the event stream stays open for the whole job. Plain requests get
        // RequestTimeout each.
        _http = new HttpClient(handler)
        {
            BaseAddress = server,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (_hasToken) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("actsearch", typeof(ApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public Uri Server { get; }

    /// <summary>Where the answers come from, for messages: the server's URL, or the local store.</summary>
    public string Location { get; }

    /// <summary>
    /// For the read-only commands (jobs, activations, export): the server that --server or ACTSEARCH_SERVER names, else
    /// the local store (ACTSEARCH_DB, or the embedded server under ACTSEARCH_HOME) read in process (<see cref="LocalReads"/>),
    /// so what a local <c>run</c> stored can be browsed without a server.
    /// </summary>
    public static async Task<ApiClient> ForReadsAsync(ArgReader args, CancellationToken cancellation)
    {
        if (args.Has("--server") || NonEmpty(Environment.GetEnvironmentVariable("ACTSEARCH_SERVER")) is not null) return FromArgs(args);
        args.Option("--token"); // a token means nothing to the local store
        ActSearchStorage storage;
        try
        {
            storage = await ActSearchStorage.OpenAsync(CliSettings.Read().Storage(), cancellation);
        }
        catch (StorageException e)
        {
            throw new ApiException(CliApp.Failure, [$"no server is configured (--server, ACTSEARCH_SERVER), and the local store cannot be opened: {e.Message}"]);
        }
        return new ApiClient(new Uri("http://local.store/"), null, new LocalReads(storage), $"the local store ({storage.Description})");
    }

    /// <summary>
    /// The client for --server / --token, defaulting to ACTSEARCH_SERVER (else http://127.0.0.1:5080) and
    /// ACTSEARCH_TOKEN. Takes both options out of <paramref name="args"/>.
    /// </summary>
    public static ApiClient FromArgs(ArgReader args)
    {
        string server = args.Option("--server") ?? NonEmpty(Environment.GetEnvironmentVariable("ACTSEARCH_SERVER")) ?? DefaultServer;
        string? token = args.Option("--token") ?? NonEmpty(Environment.GetEnvironmentVariable("ACTSEARCH_TOKEN"));
        if (!Uri.TryCreate(server.EndsWith('/') ? server : server + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"--server must be an http:// or https:// URL, got '{server}'.");
        return new ApiClient(uri, token);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    public void Dispose() => _http.Dispose();

    /// <summary>POST /api/jobs with the space as application/yaml.</summary>
    public async Task<JobInfo> SubmitAsync(string yaml, string fileName, string? name, ulong? seed, int? budget, double? wallTime, CancellationToken cancellation)
    {
        var query = new List<string> { $"fileName={Uri.EscapeDataString(fileName)}" };
        if (name is not null) query.Add($"name={Uri.EscapeDataString(name)}");
        if (seed is { } s) query.Add($"seed={s.ToString(CultureInfo.InvariantCulture)}");
        if (budget is { } b) query.Add($"budget={b.ToString(CultureInfo.InvariantCulture)}");
        if (wallTime is { } w) query.Add($"wallTime={w.ToString("R", CultureInfo.InvariantCulture)}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs?" + string.Join('&', query))
        {
            Content = new StringContent(yaml, Encoding.UTF8, "application/yaml"),
        };
        return await SendJsonAsync<JobInfo>(request, "submit the search", cancellation);
    }

    public Task<PageOf<JobInfo>> JobsAsync(string? state, int page, int pageSize, CancellationToken cancellation) =>
        GetJsonAsync<PageOf<JobInfo>>(Query("api/jobs", ("state", state), ("page", page.ToString(CultureInfo.InvariantCulture)),
            ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture))), "list the jobs", cancellation);

    public Task<JobInfo> JobAsync(Guid id, CancellationToken cancellation) =>
        GetJsonAsync<JobInfo>($"api/jobs/{id}", $"job {id}", cancellation);

    public Task<PageOf<ActivationInfo>> ActivationsAsync(string sort, string? objective, string? task, string? text, int page, int pageSize, CancellationToken cancellation) =>
        GetJsonAsync<PageOf<ActivationInfo>>(Query("api/activations", ("sort", sort), ("objective", objective), ("task", task), ("q", text),
            ("page", page.ToString(CultureInfo.InvariantCulture)), ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture))), "list the activations", cancellation);

    /// <summary>The raw JSON of an activation listing (for --json).</summary>
    public Task<string> ActivationsJsonAsync(string sort, string? objective, string? task, string? text, int page, int pageSize, CancellationToken cancellation) =>
        GetTextAsync(Query("api/activations", ("sort", sort), ("objective", objective), ("task", task), ("q", text),
            ("page", page.ToString(CultureInfo.InvariantCulture)), ("pageSize", pageSize.ToString(CultureInfo.InvariantCulture))), "list the activations", cancellation);

    public Task<string> ExportAsync(string id, string format, CancellationToken cancellation) =>
        GetTextAsync(Query($"api/activations/{Uri.EscapeDataString(id)}/export", ("format", format)), $"activation {id}", cancellation);

    /// <summary>
    /// Follows <c>GET /api/jobs/{id}/events</c>: yields every <c>job</c> event, ends after the final one. A stream
    /// that drops (or stays silent past the server's 2-second heartbeat for <see cref="IdleTimeout"/>) is reopened,
    /// and the server sends the current Job first; a coordinator that restarts has <see cref="ReconnectWindow"/> to
    /// come back. A server that cannot be reached at the first connection is an error at once.
    /// </summary>
    public async IAsyncEnumerable<JobInfo> WatchAsync(Guid id, [EnumeratorCancellation] CancellationToken cancellation)
    {
        bool connected = false;
        Stopwatch? outage = null;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{id}/events");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            HttpResponseMessage response;
            try
            {
                response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, $"job {id}", cancellation, timeout: false);
            }
            catch (ApiException) when (connected && outage!.Elapsed < ReconnectWindow)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
                continue;
            }
            using var _ = response;
            await ThrowIfFailedAsync(response, $"job {id}", cancellation);
            connected = true;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation), Encoding.UTF8);
            string? name = null;
            var data = new StringBuilder();
            while (true)
            {
                string? line;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                {
                    idle.CancelAfter(IdleTimeout);
                    try
                    {
                        line = await reader.ReadLineAsync(idle.Token);
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
                    {
                        line = null;
                    }
                }
                if (line is null) break;
                if (line.Length == 0)
                {
                    // A blank line ends an event.
                    if (data.Length > 0 && (name ?? "message") is "job" or "end")
                    {
                        var job = JsonSerializer.Deserialize<JobInfo>(data.ToString(), Json)
                            ?? throw new ApiException(CliApp.Failure, [$"the server sent an empty event for job {id}."]);
                        outage = null;
                        yield return job;
                        if (name == "end" || job.IsFinal) yield break;
                    }
                    name = null;
                    data.Clear();
                    continue;
                }
                if (line.StartsWith(':')) continue; // a comment (keep-alive)
                int colon = line.IndexOf(':');
                string field = colon < 0 ? line : line[..colon];
                string value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                if (field == "event") name = value;
                else if (field == "data") data.Append(data.Length > 0 ? "\n" : "").Append(value);
            }
            // The stream closed before the job ended: reconnect while the outage is short.
            outage ??= Stopwatch.StartNew();
            if (outage.Elapsed >= ReconnectWindow)
                throw new ApiException(CliApp.Failure, [$"lost the event stream of job {id} on {Server.ToString().TrimEnd('/')} for {ReconnectWindow.TotalSeconds:F0} s; run 'actsearch watch {id}' again."]);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        }
    }

    private static string Query(string path, params (string Key, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? path : path + "?" + string.Join('&', parts);
    }

    private async Task<T> GetJsonAsync<T>(string path, string what, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendJsonAsync<T>(request, what, cancellation);
    }

    private async Task<string> GetTextAsync(string path, string what, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, what, cancellation);
        await ThrowIfFailedAsync(response, what, cancellation);
        return await response.Content.ReadAsStringAsync(cancellation);
    }

    private async Task<T> SendJsonAsync<T>(HttpRequestMessage request, string what, CancellationToken cancellation)
    {
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, what, cancellation);
        await ThrowIfFailedAsync(response, what, cancellation);
        string body = await response.Content.ReadAsStringAsync(cancellation);
        try
        {
            return JsonSerializer.Deserialize<T>(body, Json) ?? throw new JsonException("empty body");
        }
        catch (JsonException e)
        {
            throw new ApiException(CliApp.Failure, [$"{Server} answered {request.RequestUri} with something that is not the API's JSON ({e.Message}); is --server an ActSearch coordinator?"]);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, string what, CancellationToken cancellation, bool timeout = true)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (timeout) limit.CancelAfter(RequestTimeout);
        try
        {
            return await _http.SendAsync(request, completion, limit.Token);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(CliApp.Failure, [$"cannot reach {Server.ToString().TrimEnd('/')}: {Reason(e)}"]);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new ApiException(CliApp.Failure, [$"{Server.ToString().TrimEnd('/')} did not answer within {RequestTimeout.TotalSeconds:F0} s ({what})."]);
        }
    }

    // "connection refused", "name not found", ...: the socket's reason in a few words.
    internal static string Reason(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException s)
            {
                return s.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                    SocketError.ConnectionReset => "connection reset",
                    _ => s.Message.ToLowerInvariant(),
                };
            }
            if (inner is System.Security.Authentication.AuthenticationException) return "TLS handshake failed (" + inner.Message + ")";
        }
        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "host not found",
            HttpRequestError.ConnectionError => "connection failed",
            HttpRequestError.SecureConnectionError => "TLS handshake failed",
            _ => e.Message,
        };
    }

    private async Task ThrowIfFailedAsync(HttpResponseMessage response, string what, CancellationToken cancellation)
    {
        if (response.IsSuccessStatusCode) return;
        int status = (int)response.StatusCode;
        Problem? problem = null;
        try
        {
            string body = await response.Content.ReadAsStringAsync(cancellation);
            if (body.TrimStart().StartsWith('{')) problem = JsonSerializer.Deserialize<Problem>(body, Json);
        }
        catch (JsonException)
        {
            // not a problem body: the status line says enough
        }
        string detail = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new ApiException(CliApp.UserError, [_hasToken
                ? "the server refused the token (401); pass --token or set ACTSEARCH_TOKEN to a token the server accepts."
                : "the server needs a token (401); pass --token or set ACTSEARCH_TOKEN."]),
            HttpStatusCode.Forbidden => new ApiException(CliApp.UserError, [$"the server refused the request (403): {detail}"]),
            HttpStatusCode.NotFound => new ApiException(CliApp.UserError, [$"{what}: not found on {Server.ToString().TrimEnd('/')} (404)."]),
            HttpStatusCode.RequestEntityTooLarge => new ApiException(CliApp.UserError, [$"the request is larger than the server accepts (413): {detail}"]),
            _ when problem?.Errors is { Count: > 0 } errors && status is >= 400 and < 500 => new ApiException(CliApp.UserError, errors),
            _ when status is >= 400 and < 500 => new ApiException(CliApp.UserError, [$"the server refused the request ({status}): {detail}"]),
            _ => new ApiException(CliApp.Failure, [$"the server failed ({status} {response.ReasonPhrase}){(detail.Length > 0 && detail != response.ReasonPhrase ? ": " + detail : "")}"]),
        };
    }

    private sealed record Problem(string? Type, string? Title, int? Status, string? Detail, IReadOnlyList<string>? Errors);
}

// The API's documents as the client reads them (docs/http-api.md). Numbers the server could not write (NaN,
// infinities) arrive as null.

public sealed record PageOf<T>(IReadOnlyList<T> Items, long Total, int Page, int PageSize);

public sealed record FrontEntryInfo(long CandidateId, int Generation, string ActivationId, string Formula, string? Latex, IReadOnlyList<double?> Objectives);

public sealed record JobInfo(
    Guid Id,
    string Name,
    string? Owner,
    string? Space,
    string State,
    string? Seed,
    long? BudgetEvaluations,
    double? BudgetWallTime,
    int Generation,
    long Scored,
    long Evaluated,
    long Rejected,
    long Failed,
    long Cancelled,
    long CacheHits,
    int InFlight,
    IReadOnlyDictionary<string, long>? RejectedByStage,
    IReadOnlyList<string>? Objectives,
    IReadOnlyDictionary<string, FrontEntryInfo>? Best,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? RunningTime,
    string? Error)
{
    public bool IsFinal => ActSearch.Api.JobView.IsFinalState(State);
}

public sealed record ScoreInfo(string Objective, string? Task, double? Value, string? Goal, Guid JobId, long CandidateId);

public sealed record ActivationInfo(
    string Id,
    string Formula,
    string? Latex,
    int TimesSeen,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    Guid FirstJob,
    Guid LatestJob,
    IReadOnlyList<ScoreInfo>? Scores);
