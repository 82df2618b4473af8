using System.Globalization;
using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch worker`: a worker-only silo that joins an existing cluster (ADO.NET clustering on the cluster's
/// PostgreSQL) and trains the candidates its coordinators dispatch until it is stopped. The same host as the worker
/// silo image (silos/ActSearch.Worker).
/// </summary>
public sealed class WorkerCommand : ICommand
{
    public string Name => "worker";

    public string Usage => """
        worker [--cluster CONNECTION] [--slots K] [--device auto|cpu|cuda] [--urls URL]   join a cluster as an evaluation worker
          --cluster  the cluster's PostgreSQL connection string (default ACTSEARCH_DB); silos find each other there
          --slots    candidates trained at a time (default ACTSEARCH_SLOTS, else the number of cores)
          --device   where to train (default ACTSEARCH_DEVICE, else auto: CUDA when TorchSharp sees it)
          --urls     where /healthz and /readyz listen (default ACTSEARCH_URLS, else http://127.0.0.1:5081)
        The cluster and service ids (ACTSEARCH_CLUSTER_ID, ACTSEARCH_SERVICE_ID) must match the coordinator's.
        Ctrl+C leaves the cluster; candidates in training are dispatched again elsewhere.
        """;

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        string? cluster = args.Option("--cluster");
        int? slots = args.Int("--slots", 1, 1024);
        string? device = args.Option("--device");
        string? urls = args.Option("--urls");
        args.Positionals(0, 0, "nothing");

        cluster ??= Environment.GetEnvironmentVariable("ACTSEARCH_DB");
        if (string.IsNullOrWhiteSpace(cluster))
            throw new UsageException("say which cluster to join: --cluster \"Host=...;Database=...\" (or set ACTSEARCH_DB).");

        var overrides = new Dictionary<string, string?>
        {
            [$"{ActSearchOptions.Section}:Db"] = cluster,
            [$"{ActSearchOptions.Section}:Clustering"] = nameof(ClusteringMode.AdoNet),
            [$"{ActSearchOptions.Section}:Slots"] = slots?.ToString(CultureInfo.InvariantCulture),
            [$"{ActSearchOptions.Section}:Device"] = device,
            [$"{ActSearchOptions.Section}:Urls"] = urls,
        }.Where(kv => kv.Value is not null).ToDictionary();

        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = await WorkerHost.BuildAsync([], overrides, cancellation);
        }
        catch (OptionsValidationException e)
        {
            throw new UsageException(string.Join(" ", e.Failures));
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch worker: {e.Message}");
            return CliApp.Failure;
        }
        await using var _ = app;
        await app.StartAsync(cancellation);
        stdout.WriteLine($"worker: joined cluster at {StorageException.Describe(cluster)}; health on {string.Join(", ", app.Urls)}. Ctrl+C to leave.");
        await app.WaitForShutdownAsync(cancellation); // Ctrl+C or SIGTERM: leave the cluster cleanly
        stdout.WriteLine("worker: left the cluster.");
        return CliApp.Ok;
    }
}
