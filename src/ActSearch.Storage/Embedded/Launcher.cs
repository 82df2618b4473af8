using System.Diagnostics;
using System.Text;

namespace ActSearch.Storage;

/// <summary>
/// Runs the PostgreSQL programs, which refuse to run as root: as the caller when it is not root; as root, either
/// inside a user namespace that maps root to 'nobody' (files stay root's, so any directory root can reach works) or
/// as a service user ('postgres' when it exists, else 'nobody') that owns the data directory.
/// </summary>
internal sealed class Launcher
{
    private enum Mode { Direct, UserNamespace, ServiceUser }

    private readonly Mode _mode;
    private readonly string? _user;

    private Launcher(Mode mode, string? user = null)
    {
        _mode = mode;
        _user = user;
    }

    public static async Task<Launcher> ForAsync(RootStrategy strategy, string dataDir, CancellationToken ct)
    {
        if (!IsRoot()) return new Launcher(Mode.Direct);
        if (strategy is RootStrategy.Auto or RootStrategy.UserNamespace)
        {
            var ns = new Launcher(Mode.UserNamespace);
            var probe = await ns.TryRunAsync("/bin/true", [], TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            if (probe is { ExitCode: 0 }) return ns;
            if (strategy == RootStrategy.UserNamespace)
                throw new StorageException($"Running as root, and user namespaces are not available here ({probe?.Output.Trim() ?? "no unshare"}): run as a normal user, or set ACTSEARCH_DB.");
        }
        string user = await UserExistsAsync("postgres", ct).ConfigureAwait(false) ? "postgres" : "nobody";
        _ = dataDir;
        return new Launcher(Mode.ServiceUser, user);
    }

    /// <summary>
    /// Makes <paramref name="dataDir"/> (0700) and <paramref name="files"/> usable by the user the server runs as,
    /// and checks that this user can reach them (as root, a home directory of mode 0700 is a common obstacle).
    /// </summary>
    public async Task PrepareAsync(string dataDir, CancellationToken ct, params string[] files)
    {
        Directory.CreateDirectory(dataDir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (_mode != Mode.ServiceUser) return;
        var chown = await TryRunRawAsync("chown", ["-R", $"{_user}:", dataDir, .. files], TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
        if (chown is not { ExitCode: 0 })
            throw new StorageException($"Could not hand {dataDir} to user '{_user}' (PostgreSQL refuses to run as root): {chown?.Output.Trim()}");
        var reach = await TryRunAsync("/usr/bin/test", ["-w", dataDir], TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        if (reach is not { ExitCode: 0 })
            throw new StorageException(
                $"PostgreSQL refuses to run as root and runs as '{_user}' here, but '{_user}' cannot reach {dataDir}: " +
                "set ACTSEARCH_HOME to a directory it can reach (e.g. /var/lib/actsearch), run as a normal user, or set ACTSEARCH_DB.");
    }

    public async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct) =>
        await TryRunAsync(program, args, timeout, ct).ConfigureAwait(false)
        ?? throw new StorageException($"Could not run {program}.");

    private Task<ProcessResult?> TryRunAsync(string program, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct) => _mode switch
    {
        Mode.UserNamespace => TryRunRawAsync("unshare", ["--user", "--map-user=65534", "--map-group=65534", "--", program, .. args], timeout, ct),
        Mode.ServiceUser => TryRunRawAsync("runuser", ["-u", _user!, "--", program, .. args], timeout, ct),
        _ => TryRunRawAsync(program, args, timeout, ct),
    };

    /// <summary>Runs a program and collects its output; null when it could not be started at all.</summary>
    internal static async Task<ProcessResult?> TryRunRawAsync(string program, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C"; // messages we quote in errors, and initdb's locale checks, in plain English
        psi.Environment.Remove("PGDATA");
        psi.Environment.Remove("PGPORT");
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        using (process)
        {
            process.StandardInput.Close();
            var output = new StringBuilder();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return new ProcessResult(-1, $"{Path.GetFileName(program)} did not finish within {timeout.TotalSeconds:0} s");
            }
            output.Append(await stdout.ConfigureAwait(false)).Append(await stderr.ConfigureAwait(false));
            return new ProcessResult(process.ExitCode, output.ToString());
        }
    }

    private static async Task<bool> UserExistsAsync(string name, CancellationToken ct) =>
        await TryRunRawAsync("id", ["-u", name], TimeSpan.FromSeconds(10), ct).ConfigureAwait(false) is { ExitCode: 0 };

    /// <summary>Effective uid 0, read from /proc (the base library has no geteuid).</summary>
    internal static bool IsRoot()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    return line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        }
        catch (IOException)
        {
        }
        return Environment.UserName == "root";
    }
}

internal sealed record ProcessResult(int ExitCode, string Output);
