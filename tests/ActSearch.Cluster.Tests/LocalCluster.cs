using System.Globalization;
using ActSearch.Grains;
using ActSearch.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using ActSearch.Testing;
using Orleans.Configuration;

namespace ActSearch.Cluster.Tests;

/// <summary>
/// A multi-process ActSearch cluster on localhost, as it runs on several hosts: a coordinator silo process and worker
/// silo processes that find each other through Orleans' membership table in one PostgreSQL database (ADO.NET
/// clustering), which also keeps the jobs. The test talks to the cluster as an Orleans client and reads the database.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];
    private readonly string _home;
    private readonly int _siloPort = Ports.Free();
    private readonly int _gatewayPort = Ports.Free();
    private IHost? _client;

    public LocalCluster(string connectionString)
    {
        ConnectionString = connectionString;
        _home = Path.Combine("/tmp", $"as-cluster-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(_home);
    }

    public string ConnectionString { get; }

    public SiloProcess? Coordinator { get; private set; }

    /// <summary>Everything the silos wrote, for failure messages.</summary>
    public string Output => string.Join('\n', _silos.Select(s => s.Output));

    /// <summary>
    /// A silo's environment: exactly the deployment's env files for its role (k8s/base/env, the dev-cpu overlay; what
    /// compose and kustomize give the containers), with only what must differ on one machine replaced: the database
    /// (a Secret there), the address and ports (a pod's own there), the local data folder, and the slots when a test
    /// pins them.
    /// </summary>
    internal Dictionary<string, string> Environment(SiloRole role, IReadOnlyDictionary<string, string> machine)
    {
        var env = new Dictionary<string, string>(EnvFile.ForRole(RepoRoot, role));
        env["ACTSEARCH_DB"] = ConnectionString;
        env["ACTSEARCH_ADVERTISED_IP"] = "127.0.0.1";
        env["ACTSEARCH_HOME"] = _home;
        foreach (var (key, value) in machine) env[key] = value;
        return env;
    }

    /// <summary>The cluster id the env files give every silo.</summary>
    public string ClusterId => EnvFile.ForRole(RepoRoot, SiloRole.Coordinator)["ACTSEARCH_CLUSTER_ID"];

    /// <summary>Starts the coordinator silo (job grains, the PostgreSQL job store) and waits until it is a cluster member.
    /// A restarted coordinator takes the same ports, as a rescheduled pod keeps its address.</summary>
    public async Task StartCoordinatorAsync()
    {
        // The HTTP port comes from Ports.Free(): closed again at once, an outgoing connection's ephemeral port can take it
        // before the coordinator binds it (seen once in a full run, right after a coordinator was killed). Then start again.
        for (int attempt = 1; ; attempt++)
        {
            var env = Environment(SiloRole.Coordinator, new Dictionary<string, string>
            {
                ["ACTSEARCH_SILO_PORT"] = _siloPort.ToString(CultureInfo.InvariantCulture),
                ["ACTSEARCH_GATEWAY_PORT"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
                ["ACTSEARCH_URLS"] = $"http://127.0.0.1:{Ports.Free()}",
            });
            Coordinator = SiloProcess.Start($"coordinator#{_silos.Count}", Built("silos", "ActSearch.Coordinator"), env);
            _silos.Add(Coordinator);
            try
            {
                await WaitAsync(() => ActiveSilosAsync(_siloPort), n => n == 1, TimeSpan.FromSeconds(90), "the coordinator to join the cluster", Coordinator);
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && Coordinator.HasExited && Coordinator.Output.Contains("address already in use", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Starts a worker silo with <paramref name="slots"/> training slots: the worker host, or `actsearch worker`.</summary>
    public async Task<SiloProcess> StartWorkerAsync(int slots, bool viaCli = false)
    {
        string url = $"http://127.0.0.1:{Ports.Free()}";
        var env = Environment(SiloRole.Worker, new Dictionary<string, string>
        {
            ["ACTSEARCH_SILO_PORT"] = Ports.Free().ToString(CultureInfo.InvariantCulture),
            ["ACTSEARCH_GATEWAY_PORT"] = "0", // workers take no client connections
            ["ACTSEARCH_URLS"] = url,
            ["ACTSEARCH_SLOTS"] = slots.ToString(CultureInfo.InvariantCulture),
        });
        string name = $"worker#{_silos.Count}";
        var worker = viaCli
            ? SiloProcess.Start(name, Built("src", "ActSearch.Cli", "actsearch"), env, "worker", "--cluster", ConnectionString)
            : SiloProcess.Start(name, Built("silos", "ActSearch.Worker"), env);
        _silos.Add(worker);
        await worker.WaitReadyAsync(url, TimeSpan.FromSeconds(90));
        return worker;
    }

    /// <summary>An Orleans client of this cluster (it finds the coordinator's gateway in the membership table).</summary>
    public async Task<IClusterClient> ClientAsync()
    {
        if (_client is not null) return _client.Services.GetRequiredService<IClusterClient>();
        _client = new HostBuilder().UseOrleansClient(client =>
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = ConnectionString;
            });
            client.Configure<TypeManagementOptions>(o => o.TypeMapRefreshInterval = TimeSpan.FromSeconds(1)); // see which silo hosts which grain class soon
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = EnvFile.ForRole(RepoRoot, SiloRole.Coordinator)["ACTSEARCH_SERVICE_ID"];
            });
        }).Build();
        await _client.StartAsync();
        return _client.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>Silos the membership table lists as active (optionally only the one on <paramref name="port"/>).</summary>
    public async Task<int> ActiveSilosAsync(int? port = null)
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM orleans_membership WHERE deployment_id = @c AND status = 3 AND (@p = 0 OR port = @p)", c);
        cmd.Parameters.AddWithValue("c", ClusterId);
        cmd.Parameters.AddWithValue("p", port ?? 0);
        try
        {
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0; // the first silo has not migrated the database yet
        }
    }

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/>; a silo that dies on the way fails the wait.</summary>
    public Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, params SiloProcess[] mustLive) =>
        Poll.UntilAsync(async () =>
        {
            foreach (var s in mustLive)
                if (s.HasExited) throw new InvalidOperationException($"{s.Name} exited while waiting for {what}.\n{Output}");
            return await read();
        }, done, timeout, what, value => $"{value}\n{Output}", TimeSpan.FromMilliseconds(250));

    /// <summary>Waits until the job's stored status is final (the database is the system of record).</summary>
    public Task<Storage.JobRecord> WaitFinalAsync(ActSearchStorage storage, Guid jobId, TimeSpan timeout) =>
        WaitAsync(async () => (await storage.Jobs.GetAsync(jobId))!, j => j is { Status: Storage.JobStatus.Finished or Storage.JobStatus.Failed or Storage.JobStatus.Cancelled },
            timeout, $"job {jobId} to end");

    public async ValueTask DisposeAsync()
    {
        // Appended, so the logs of every cluster of a run survive (a test that fails is rarely the last to dispose).
        if (System.Environment.GetEnvironmentVariable("ACTSEARCH_CLUSTER_LOG") is { Length: > 0 } log) await File.AppendAllTextAsync(log, $"=== cluster disposed {DateTime.UtcNow:O} ===\n{Output}\n");
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
            }
            catch (OperationCanceledException)
            {
            }
            _client.Dispose();
        }
        foreach (var s in _silos) await s.DisposeAsync();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The built entry assembly of a host project, in the configuration these tests were built in.</summary>
    private static string Built(string folder, string project, string? assembly = null)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        return Path.Combine(RepoRoot, folder, project, "bin", configuration, "net10.0", (assembly ?? project) + ".dll");
    }

    private static string RepoRoot
    {
        get
        {
            string root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "ActSearch.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("ActSearch.sln not found above the tests.");
            return root;
        }
    }
}
