using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using ActSearch.Testing;
using ActSearch.Storage.Tests;

namespace ActSearch.Cli.Tests;

/// <summary>
/// A real `actsearch serve` child process for the client commands to talk to: the CLI's own build output, a
/// fresh database in the test PostgreSQL (ACTSEARCH_TEST_DB, else an embedded server), a temporary
/// ACTSEARCH_HOME, one training slot, a known write token, a free loopback port. Ready once /readyz says 200.
/// </summary>
public sealed class ServeProcess : IAsyncLifetime
{
    private readonly PostgresServer _postgres = new();
    private readonly ConcurrentQueue<string> _log = new();
    private TestDatabase? _database;
    private Process? _process;
    private string _home = "";

    public string Token { get; } = "client-test-" + Guid.NewGuid().ToString("N");

    /// <summary>The server's URL, without a trailing slash (as a user types --server).</summary>
    public string Url { get; private set; } = "";

    public string Home => _home;

    /// <summary>The server's database, for clients that read the store without it.</summary>
    public string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        _database = await _postgres.CreateDatabaseAsync();
        _home = Path.Combine("/tmp", $"as-cli-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(_home);
        Url = $"http://127.0.0.1:{Ports.Free()}";
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "actsearch.dll"), "serve"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _home,
        };
        start.Environment["ACTSEARCH_URLS"] = Url;
        start.Environment["ACTSEARCH_DB"] = _database.ConnectionString;
        start.Environment["ACTSEARCH_API_TOKENS"] = Token;
        start.Environment["ACTSEARCH_HOME"] = _home;
        start.Environment["ACTSEARCH_SLOTS"] = "1";
        start.Environment["ACTSEARCH_DEVICE"] = "cpu";
        start.Environment["ACTSEARCH_SILO_PORT"] = Ports.Free().ToString(CultureInfo.InvariantCulture);
        start.Environment["ACTSEARCH_GATEWAY_PORT"] = Ports.Free().ToString(CultureInfo.InvariantCulture);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Poll.ReadyAsync(http, $"{Url}/readyz", TimeSpan.FromSeconds(90), "`actsearch serve`",
            () => _process.HasExited ? $"exit code {_process.ExitCode}\n{Log()}" : null);
    }

    /// <summary>What the server printed, for failure messages.</summary>
    public string Log() => "--- actsearch serve ---\n" + string.Join('\n', _log.TakeLast(80));

    private void Keep(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 1000) _log.TryDequeue(out _);
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        if (_database is not null) await _database.DisposeAsync();
        await _postgres.DisposeAsync();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
