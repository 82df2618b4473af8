using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace ActSearch.Api;

/// <summary>
/// The HTTP API and web UI on a coordinator host (silos/ActSearch.Coordinator and <c>actsearch serve</c>):
/// <c>builder.AddActSearchApi(storage)</c> registers it, <c>app.MapActSearchApi()</c> maps it. The host also adds
/// the coordinator silo (the API calls job grains in-process through <see cref="IGrainFactory"/>).
/// </summary>
public static class ActSearchApiExtensions
{
    /// <summary>Where a coordinator listens when ACTSEARCH_URLS is unset.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The output-cache policy of the catalog's read routes.</summary>
    internal const string CatalogCache = "catalog";

    /// <summary>
    /// Registers the API's services over <paramref name="storage"/> (one per process, opened by the host), listens
    /// on ACTSEARCH_URLS (default <see cref="DefaultUrls"/>) with 1 MiB request bodies, and adds problem details,
    /// the OpenAPI document and the health checks (readiness includes the database).
    /// </summary>
    public static WebApplicationBuilder AddActSearchApi(this WebApplicationBuilder builder, ActSearchStorage storage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(storage);
        builder.Configuration.AddActSearchEnvironment();
        string urls = builder.Configuration[$"{ActSearchOptions.Section}:{nameof(ActSearchOptions.Urls)}"] is { Length: > 0 } u ? u : DefaultUrls;
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ApiLimits.MaxBodyBytes);

        var services = builder.Services;
        services.AddOptions<ActSearchOptions>().BindConfiguration(ActSearchOptions.Section);
        services.AddSingleton(storage);
        services.AddSingleton<BrowseQueries>();
        services.AddSingleton<JobService>();
        services.AddSingleton<ActivationCatalog>();
        services.AddSingleton<BearerTokens>();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new FiniteDoubleConverter()));
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ActSearch API";
            document.Info.Description = "Jobs (evolutionary searches for activation functions) and the activation catalog. See docs/http-api.md.";
            return Task.CompletedTask;
        }));
        services.AddActSearchHealth().AddCheck<DatabaseCheck>("database", tags: [ActSearchHealth.ReadyTag]);
        // Catalog reads are the hot path (many viewers, one page each): the same query is answered from memory for a
        // moment. The catalog changes only as jobs report, so a page up to 2 s old is fine. Requests with a token
        // (reads protected by ACTSEARCH_API_READ_REQUIRES_TOKEN) are never served from the cache.
        services.AddOutputCache(o => o.AddPolicy(CatalogCache, b => b.Expire(TimeSpan.FromSeconds(2)).SetVaryByQuery("*")));
        return builder;
    }

    /// <summary>
    /// Maps the middleware and routes: security headers on every response, problem details for every error (no stack traces), the token gate, the web UI
    /// at <c>/</c> (embedded files), <c>/healthz</c>, <c>/readyz</c>, <c>/openapi/v1.json</c>, <c>/api/jobs</c> and
    /// <c>/api/activations</c>.
    /// </summary>
    public static WebApplication MapActSearchApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<SecurityHeaders>(); // first: error answers carry the headers too
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = HandleErrorAsync });
        app.UseStatusCodePages();
        app.UseMiddleware<TokenGate>();
        app.UseOutputCache(); // after the token gate: a refused request never reaches the cache
        var ui = WebUiFiles();
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = ui });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = ui,
            OnPrepareResponse = c => c.Context.Response.Headers.XContentTypeOptions = "nosniff",
        });
        app.MapOpenApi();
        app.MapActSearchHealth();
        app.MapJobs();
        app.MapActivations();
        app.MapCatalog();
        return app;
    }

    /// <summary>The web UI: <c>wwwroot/</c> embedded in this assembly (nothing, if it was built without one).</summary>
    public static IFileProvider WebUiFiles()
    {
        try
        {
            return new ManifestEmbeddedFileProvider(typeof(ActSearchApiExtensions).Assembly, "wwwroot");
        }
        catch (InvalidOperationException)
        {
            return new NullFileProvider();
        }
    }

    /// <summary>Unhandled errors as problem details: the status a request error carries, else 500 without internals (the log has them).</summary>
    private static Task HandleErrorAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, title, detail) = error switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e => (e.StatusCode, "Payload too large", e.Message),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
            StorageException => (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", "The database did not answer; try again later."),
            ActSearch.Grains.JobStoreUnavailableException e => (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", e.Message),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "Client closed request", (string?)null),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error", "The server failed to answer this request; its log has the details."),
        };
        if (status == StatusCodes.Status413PayloadTooLarge)
            detail = $"The request body is larger than {ApiLimits.MaxBodyBytes / 1024} KiB.";
        return Problems.Of(status, title, detail).ExecuteAsync(context);
    }

    /// <summary>Readiness: PostgreSQL answers.</summary>
    private sealed class DatabaseCheck(BrowseQueries browse, ILogger<DatabaseCheck> log) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                return await browse.PingAsync(timeout.Token) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("PostgreSQL gave a wrong answer");
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException)
            {
                log.LogWarning("Readiness: PostgreSQL does not answer: {Message}", e.Message);
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer");
            }
        }
    }
}
