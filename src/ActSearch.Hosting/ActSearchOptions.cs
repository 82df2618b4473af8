using System.Globalization;
using System.Net;
using ActSearch.Evaluation.Data;
using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using FusionMode = ActSearch.Evaluation.Torch.Compilation.Fusion;

namespace ActSearch.Hosting;

/// <summary>How silos of this cluster find each other.</summary>
public enum ClusteringMode
{
    /// <summary>Development clustering on the loopback address: one process, or several on one machine that join a primary silo.</summary>
    Localhost,

    /// <summary>Orleans' ADO.NET membership table in PostgreSQL (ACTSEARCH_DB): several processes or hosts.</summary>
    AdoNet,
}

/// <summary>
/// ActSearch's settings: section <c>ActSearch</c> of the configuration, where every <c>ACTSEARCH_*</c> environment
/// variable lands too (<c>ACTSEARCH_CLUSTER_ID</c> is <c>ActSearch:ClusterId</c>; see README.md in this folder).
/// </summary>
public sealed class ActSearchOptions
{
    public const string Section = "ActSearch";

    /// <summary>ACTSEARCH_DB: the PostgreSQL connection string; unset, the embedded default.</summary>
    public string? Db { get; set; }

    /// <summary>ACTSEARCH_DB_POOL_SIZE: most database connections this process holds (unless ACTSEARCH_DB sets its own).</summary>
    public int DbPoolSize { get; set; } = 32;

    /// <summary>ACTSEARCH_DATA: the proxy tasks' data folder (the full Fashion-MNIST, say); unset, the repository's <c>data/</c>.</summary>
    public string? Data { get; set; }

    /// <summary>
    /// ACTSEARCH_FASHION_MNIST: <c>full</c> for Debian's full set (package dataset-fashion-mnist), or a folder with the four
    /// IDX files; unset, the subset in the data folder.
    /// </summary>
    public string? FashionMnist { get; set; }

    /// <summary>ACTSEARCH_HOME: where ActSearch keeps local data.</summary>
    public string Home { get; set; } = DefaultHome();

    /// <summary>
    /// ACTSEARCH_FUSION: auto (fuse candidate activations into one op where that is measured faster), on (every scalar
    /// activation on CPU) or off (the op chain always). Learned units are one op each unless it is off.
    /// </summary>
    public string Fusion { get; set; } = "auto";

    /// <summary>ACTSEARCH_DEVICE: auto, cpu or cuda.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>ACTSEARCH_SLOTS: evaluation slots of a worker silo.</summary>
    public int Slots { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>ACTSEARCH_CLUSTERING: localhost or adonet; unset, adonet when ACTSEARCH_DB is set, else localhost.</summary>
    public ClusteringMode? Clustering { get; set; }

    /// <summary>ACTSEARCH_CLUSTER_ID: silos with the same id form one cluster.</summary>
    public string ClusterId { get; set; } = "actsearch";

    /// <summary>ACTSEARCH_SERVICE_ID: stays the same across deployments of one service.</summary>
    public string ServiceId { get; set; } = "actsearch";

    /// <summary>ACTSEARCH_SILO_PORT: silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>ACTSEARCH_GATEWAY_PORT: the port clients (CLI, API) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>ACTSEARCH_PRIMARY_SILO: host:port of the primary silo that localhost silos join; unset, this silo is the primary.</summary>
    public string? PrimarySilo { get; set; }

    /// <summary>ACTSEARCH_ADVERTISED_IP: the address other silos reach this one at (ADO.NET clustering; default: the machine's).</summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>ACTSEARCH_URLS: where the HTTP API (and the worker's health routes) listen, semicolon-separated; unset, the host's default.</summary>
    public string? Urls { get; set; }

    /// <summary>ACTSEARCH_API_TOKENS: comma-separated bearer tokens allowed to write through the API.</summary>
    public string? ApiTokens { get; set; }

    /// <summary>ACTSEARCH_API_TOKENS_FILE: a file of bearer tokens, one per line (a mounted Kubernetes Secret); read again when it changes.</summary>
    public string? ApiTokensFile { get; set; }

    /// <summary>ACTSEARCH_API_MAX_JOBS_PER_TOKEN: jobs one API token may have queued, running or paused at once (0: no limit).</summary>
    public int ApiMaxJobsPerToken { get; set; } = 16;

    /// <summary>ACTSEARCH_API_READ_REQUIRES_TOKEN: reads need a token too.</summary>
    public bool ApiReadRequiresToken { get; set; }

    /// <summary>The clustering in force: the explicit one, else ADO.NET when a database is configured.</summary>
    public ClusteringMode EffectiveClustering => Clustering ?? (string.IsNullOrWhiteSpace(Db) ? ClusteringMode.Localhost : ClusteringMode.AdoNet);

    public IPEndPoint? PrimarySiloEndpoint => PrimarySilo is { Length: > 0 } p ? ParseEndpoint(p) : null;

    /// <summary>Storage as these settings say: <see cref="Db"/>, else the embedded server under <see cref="Home"/>.</summary>
    public StorageOptions Storage() => new()
    {
        ConnectionString = string.IsNullOrWhiteSpace(Db) ? null : Db,
        MaxPoolSize = DbPoolSize,
        Embedded = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(Path.GetFullPath(Home), "postgres") },
    };

    /// <summary>
    /// The settings of this process: the <c>ACTSEARCH_*</c> environment, then <paramref name="overrides"/> (configuration
    /// keys such as <c>ActSearch:Db</c>), validated; the data folder is applied (<see cref="DataSets.UseDirectory"/>).
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is invalid; every failure names its variable.</exception>
    public static ActSearchOptions FromEnvironment(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder().AddActSearchEnvironment();
        if (overrides is not null) builder.AddInMemoryCollection(overrides);
        var options = builder.Build().GetActSearchOptions();
        options.ApplyData();
        return options;
    }

    /// <summary>
    /// Points the data loaders at <see cref="Data"/> (the repository's <c>data/</c> when unset) and <see cref="FashionMnist"/>,
    /// and sets the process's <see cref="Fusion"/>: the settings that hold for every training in the process.
    /// </summary>
    public void ApplyData()
    {
        DataSets.UseDirectory(Data);
        DataSets.UseFashionMnist(FashionMnist);
        ExprCompileOptions.DefaultFusion = ParseFusion(Fusion) ?? throw new OptionsValidationException(nameof(Fusion), typeof(ActSearchOptions), [FusionError(Fusion)]);
    }

    internal static FusionMode? ParseFusion(string text) => text switch
    {
        "auto" => FusionMode.Auto,
        "on" => FusionMode.On,
        "off" => FusionMode.Off,
        _ => null,
    };

    internal static string FusionError(string text) => $"ACTSEARCH_FUSION is '{text}'; use auto, on or off.";

    internal static IPEndPoint? ParseEndpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            return null;
        var host = text[..colon];
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return new IPEndPoint(IPAddress.Loopback, port);
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : null;
    }

    private static string DefaultHome()
    {
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(data)) data = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(data, "actsearch");
    }
}

/// <summary>Checks <see cref="ActSearchOptions"/>; every message names the environment variable to fix.</summary>
public sealed class ActSearchOptionsValidator : IValidateOptions<ActSearchOptions>
{
    public ValidateOptionsResult Validate(string? name, ActSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Device is not ("auto" or "cpu" or "cuda"))
            errors.Add($"ACTSEARCH_DEVICE is '{options.Device}'; use auto, cpu or cuda.");
        if (ActSearchOptions.ParseFusion(options.Fusion) is null)
            errors.Add(ActSearchOptions.FusionError(options.Fusion));
        if (options.Slots is < 1 or > 1024)
            errors.Add($"ACTSEARCH_SLOTS is {options.Slots}; use 1 to 1024.");
        if (string.IsNullOrWhiteSpace(options.Home))
            errors.Add("ACTSEARCH_HOME is empty.");
        if (options.ApiMaxJobsPerToken is < 0 or > 100_000)
            errors.Add($"ACTSEARCH_API_MAX_JOBS_PER_TOKEN is {options.ApiMaxJobsPerToken}; use 0 (no limit) to 100000.");
        if (options.DbPoolSize is < 1 or > 1000)
            errors.Add($"ACTSEARCH_DB_POOL_SIZE is {options.DbPoolSize}; use 1 to 1000 (and well below the server's max_connections).");
        if (options.Data is { Length: > 0 } data && !Directory.Exists(data))
            errors.Add($"ACTSEARCH_DATA is '{data}', which is not a folder.");
        if (options.FashionMnist is { Length: > 0 } fmnist)
        {
            try
            {
                DataSets.FashionMnistFolderFor(fmnist);
            }
            catch (DirectoryNotFoundException e)
            {
                errors.Add($"ACTSEARCH_FASHION_MNIST is '{fmnist}': {e.Message}");
            }
        }
        if (options.SiloPort is < 1 or > 65535)
            errors.Add($"ACTSEARCH_SILO_PORT is {options.SiloPort}; use 1 to 65535.");
        if (options.GatewayPort is < 0 or > 65535)
            errors.Add($"ACTSEARCH_GATEWAY_PORT is {options.GatewayPort}; use 0 (no gateway) to 65535.");
        if (options.SiloPort == options.GatewayPort)
            errors.Add($"ACTSEARCH_SILO_PORT and ACTSEARCH_GATEWAY_PORT are both {options.SiloPort}.");
        if (string.IsNullOrWhiteSpace(options.ClusterId))
            errors.Add("ACTSEARCH_CLUSTER_ID is empty.");
        if (string.IsNullOrWhiteSpace(options.ServiceId))
            errors.Add("ACTSEARCH_SERVICE_ID is empty.");
        if (options.PrimarySilo is { Length: > 0 } p && ActSearchOptions.ParseEndpoint(p) is null)
            errors.Add($"ACTSEARCH_PRIMARY_SILO is '{p}'; write host:port with an IP address or localhost, e.g. 127.0.0.1:11111.");
        if (options.AdvertisedIp is { Length: > 0 } ip && !IPAddress.TryParse(ip, out _))
            errors.Add($"ACTSEARCH_ADVERTISED_IP is '{ip}', not an IP address.");
        if (options.ApiTokensFile is { Length: > 0 } tokens && !File.Exists(tokens))
            errors.Add($"ACTSEARCH_API_TOKENS_FILE is '{tokens}', which is not a file.");
        foreach (var url in (options.Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!Uri.TryCreate(url.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                errors.Add($"ACTSEARCH_URLS has '{url}'; write http://host:port, e.g. http://127.0.0.1:5080.");
        if (options.EffectiveClustering == ClusteringMode.AdoNet && string.IsNullOrWhiteSpace(options.Db))
            errors.Add("ACTSEARCH_CLUSTERING is adonet but ACTSEARCH_DB (the PostgreSQL connection string) is not set.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
