using ActSearch.Grains;
using ActSearch.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ActSearch.Hosting;

/// <summary>
/// A worker-only silo: evaluation on <c>ACTSEARCH_DEVICE</c> with <c>ACTSEARCH_SLOTS</c> slots, joining the cluster
/// of a coordinator, with the health endpoints on <c>ACTSEARCH_URLS</c> (default <see cref="DefaultUrls"/>). The
/// worker silo host (silos/ActSearch.Worker) and <c>actsearch worker</c> are this.
/// </summary>
public static class WorkerHost
{
    public const string DefaultUrls = "http://127.0.0.1:5081";

    /// <summary>
    /// Builds the host. <paramref name="overrides"/> (configuration keys such as <c>ActSearch:Db</c>) win over the
    /// environment, as command-line options do. Under ADO.NET clustering the database's schema (with Orleans'
    /// membership table) is brought up to date first, so a worker may start before its coordinator.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, CancellationToken cancellation = default)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddActSearchEnvironment();
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        var settings = builder.Configuration.GetActSearchOptions();
        builder.WebHost.UseUrls(builder.Configuration[$"{ActSearchOptions.Section}:Urls"] is { Length: > 0 } urls ? urls : DefaultUrls);

        if (settings.EffectiveClustering == ClusteringMode.AdoNet)
        {
            await using var storage = await ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = settings.Db }, cancellation);
        }

        builder.AddActSearchSilo(SiloRoles.Worker, silo => silo.AddTorchScorer(settings.Device));
        builder.Services.AddActSearchHealth();
        var app = builder.Build();
        app.MapActSearchHealth();
        return app;
    }
}
