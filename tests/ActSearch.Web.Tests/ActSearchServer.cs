using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using ActSearch.Testing;

namespace ActSearch.Web.Tests;

/// <summary>
/// A real `actsearch serve` process (coordinator + worker silo + HTTP API + web UI) started from the CLI's build
/// output on a free loopback port, with its own database, home folder and write token. Its output is kept so a
/// failing test can show what the server said.
/// </summary>
public sealed class ActSearchServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private ActSearchServer(Process process, Uri baseAddress, string token, string home, string connectionString)
    {
        _process = process;
        ConnectionString = connectionString;
        BaseAddress = baseAddress;
        Token = token;
        Home = home;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public Uri BaseAddress { get; }

    /// <summary>The bearer token the server accepts for writes.</summary>
    public string Token { get; }

    public string Home { get; }

    /// <summary>The server's database, for CLI commands that work on its store (<c>actsearch report</c>).</summary>
    public string ConnectionString { get; }

    /// <summary>Anonymous client (reads are open); <see cref="SubmitJobAsync"/> adds the token.</summary>
    public HttpClient Http { get; }

    /// <summary>The CLI's build output, built with this test project (its ProjectReference); ACTSEARCH_CLI overrides it.</summary>
    public static string CliPath =>
        Environment.GetEnvironmentVariable("ACTSEARCH_CLI") is { Length: > 0 } overridden ? overridden
            : typeof(ActSearchServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ActSearchCli").Value!;

    public static async Task<ActSearchServer> StartAsync(string connectionString, TimeSpan readyTimeout)
    {
        string cli = Path.GetFullPath(CliPath);
        if (!File.Exists(cli))
            throw new InvalidOperationException($"The CLI is not built: {cli} is missing. Build it with `dotnet build src/ActSearch.Cli -c Release`.");
        int port = Ports.Free();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        string token = "web-test-" + Guid.NewGuid().ToString("N");
        string home = Path.Combine("/tmp", $"as-web-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(home);

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = home,
        };
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add("serve");
        start.Environment["ACTSEARCH_URLS"] = baseAddress.ToString().TrimEnd('/');
        start.Environment["ACTSEARCH_DB"] = connectionString;
        start.Environment["ACTSEARCH_API_TOKENS"] = token;
        start.Environment["ACTSEARCH_HOME"] = home;
        start.Environment["ACTSEARCH_SLOTS"] = "1";
        start.Environment["ACTSEARCH_DEVICE"] = "cpu";
        // Ports of the silo: free ones, so several test runs (or a developer's `serve`) never collide.
        start.Environment["ACTSEARCH_SILO_PORT"] = Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ACTSEARCH_GATEWAY_PORT"] = Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ActSearchServer(process, baseAddress, token, home, connectionString);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(readyTimeout);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private Task WaitReadyAsync(TimeSpan timeout) =>
        Poll.ReadyAsync(Http, "/readyz", timeout, "`actsearch serve`",
            () => _process.HasExited ? $"exit code {_process.ExitCode}\n{LogTail()}" : null);

    /// <summary>POST /api/jobs with a search-space YAML file and optional budget overrides; returns the created Job.</summary>
    public async Task<JsonElement> SubmitJobAsync(string spaceYaml, string name, int? budget = null, int? wallTimeSeconds = null)
    {
        string url = $"/api/jobs?name={Uri.EscapeDataString(name)}&fileName=tiny-regression.yaml"
            + (budget is int b ? $"&budget={b}" : "") + (wallTimeSeconds is int w ? $"&wallTime={w}" : "");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(spaceYaml, Encoding.UTF8, "application/yaml") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST {url} answered {(int)response.StatusCode}: {body}\n{LogTail()}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> PostAsync(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await Http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {url} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls GET /api/jobs/{id} until the job is final; returns it.</summary>
    public Task<JsonElement> WaitFinalAsync(string jobId, TimeSpan timeout) =>
        Poll.UntilAsync(() => GetJsonAsync($"/api/jobs/{jobId}"), job => job.GetProperty("state").GetString() is "finished" or "failed" or "cancelled",
            timeout, $"job {jobId} to be final", job => $"{job}\n{LogTail()}", TimeSpan.FromMilliseconds(250));

    /// <summary>Runs the CLI on the server's database (CPU, 2 slots) and returns its exit code and output.</summary>
    public async Task<(int Code, string Output)> RunCliAsync(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Home };
        start.ArgumentList.Add(Path.GetFullPath(CliPath));
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["ACTSEARCH_DB"] = ConnectionString;
        start.Environment["ACTSEARCH_HOME"] = Home;
        start.Environment["ACTSEARCH_DEVICE"] = "cpu";
        start.Environment["ACTSEARCH_SLOTS"] = "2";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"actsearch {string.Join(' ', args)} did not finish in {timeout}:\n{await stdout}");
        }
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>The last lines the server printed, for failure messages.</summary>
    public string LogTail(int lines = 60) =>
        "--- actsearch serve output (last lines) ---\n" + string.Join('\n', _log.TakeLast(lines));

    private void Keep(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 2000 && _log.TryDequeue(out _))
        {
        }
    }


    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
