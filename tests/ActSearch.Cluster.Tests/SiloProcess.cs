using System.Diagnostics;
using ActSearch.Testing;

namespace ActSearch.Cluster.Tests;

/// <summary>
/// One silo as a real child process (`dotnet the.dll`), with its environment, its output kept for failure messages,
/// and a hard kill (SIGKILL, as `kill -9`) that gives it no chance to leave the cluster politely.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private SiloProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    /// <summary>The last lines the process wrote (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_tail) return $"--- {Name} ---\n{string.Join('\n', _tail)}";
        }
    }

    public static SiloProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is not built; build the solution first.", dll);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ACTSEARCH_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key); // only what the test says
        foreach (var (key, value) in environment) info.Environment[key] = value;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__ActSearch"] = Environment.GetEnvironmentVariable("ACTSEARCH_CLUSTER_LOG_LEVEL") ?? "Information";

        var process = new Process { StartInfo = info };
        var silo = new SiloProcess(name, process);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>kill -9: the process ends at once, in the middle of whatever it was doing.</summary>
    public void KillHard()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Waits until GET <paramref name="url"/>/readyz answers 200 (the silo is an active cluster member).</summary>
    public async Task WaitReadyAsync(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Poll.ReadyAsync(http, $"{url}/readyz", timeout, Name, () => _process.HasExited ? $"exit code {_process.ExitCode}\n{Output}" : null);
    }

    public ValueTask DisposeAsync()
    {
        KillHard();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue($"{DateTime.UtcNow:HH:mm:ss.f} {line}");
            while (_tail.Count > 300) _tail.Dequeue();
        }
    }
}
