using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActSearch.Cli;

/// <summary>
/// What `run` and `serve` share: one process holding a silo in both roles, clustered with itself on free loopback
/// ports (whatever ACTSEARCH_DB says), with jobs in PostgreSQL and TorchSharp training on this machine's slots.
/// </summary>
internal static class OneProcessSilo
{
    /// <summary>
    /// Quiet console logging and the silo's settings: the ACTSEARCH_* environment, then localhost clustering, then
    /// <paramref name="overrides"/> (command-line options, which win). Invalid settings are the user's mistake.
    /// </summary>
    public static ActSearchOptions Configure(IHostApplicationBuilder builder, int? slots, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Orleans.Runtime.Silo", LogLevel.Error) // its server-GC advice does not apply to one process
            .AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error); // its first check reports the machine's uptime as a stall
        var settings = new Dictionary<string, string?>
        {
            ["ActSearch:Clustering"] = nameof(ClusteringMode.Localhost),
            ["ActSearch:PrimarySilo"] = "",
            ["ActSearch:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["ActSearch:GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["ActSearch:Slots"] = slots?.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        builder.Configuration.AddActSearchEnvironment().AddInMemoryCollection(settings.Where(kv => kv.Value is not null));
        try
        {
            return builder.Configuration.GetActSearchOptions();
        }
        catch (OptionsValidationException e)
        {
            throw new UsageException(string.Join(" ", e.Failures));
        }
    }

    /// <summary>
    /// The silo in both roles: jobs kept in <paramref name="storage"/>, candidates trained on <paramref name="settings"/>'
    /// device. <paramref name="wakeUnfinishedJobs"/>: continue the store's other unfinished jobs (serve does; run, which runs
    /// its own job only, does not).
    /// </summary>
    public static void AddSilo(IHostApplicationBuilder builder, ActSearchOptions settings, ActSearchStorage storage, bool wakeUnfinishedJobs)
    {
        builder.AddActSearchSilo(SiloRoles.Coordinator | SiloRoles.Worker, silo => silo.AddPostgresJobStore(storage).AddTorchScorer(settings.Device));
        builder.Services.Configure<SearchJobOptions>(o => o.WakeUnfinishedJobs = wakeUnfinishedJobs);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
