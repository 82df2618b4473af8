using System.Diagnostics;

namespace ActSearch.Deploy.Tests;

/// <summary>Renders a kustomization with <c>kubectl kustomize</c> (kubectl's built-in kustomize, no cluster needed).</summary>
internal static class Kustomize
{
    public const string MissingKubectl =
        "kubectl was not found on PATH: the manifest tests render k8s/ with `kubectl kustomize`. Install kubectl " +
        "(bash scripts/setup.sh installs the kubectl package where the machine's apt sources have it).";

    /// <summary>The rendered YAML stream of the kustomization in <paramref name="directory"/>; a failed render throws with kubectl's message.</summary>
    /// <summary>The manifests use kustomize components and the labels field; kubectl 1.27 and newer bring kustomize 5.</summary>
    public const int MinimumKustomizeMajor = 5;

    private static readonly Lazy<string> Kubectl = new(FindUsableKubectl);

    public static string Build(string directory)
    {
        var (exit, stdout, stderr) = Run(Kubectl.Value, "kustomize", directory);
        if (exit != 0) throw new KustomizeException($"kubectl kustomize {directory} failed (exit {exit}): {stderr.Trim()}");
        return stdout;
    }

    private static string FindUsableKubectl()
    {
        var kubectl = FindKubectl() ?? throw new InvalidOperationException(MissingKubectl);
        var (exit, stdout, stderr) = Run(kubectl, "version", "--client", "-o", "json");
        if (exit != 0) throw new InvalidOperationException($"{kubectl} version --client failed: {stderr.Trim()}");
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        string version = json.RootElement.TryGetProperty("kustomizeVersion", out var v) ? v.GetString() ?? "" : "";
        if (!int.TryParse(version.TrimStart('v').Split('.')[0], System.Globalization.CultureInfo.InvariantCulture, out int major) || major < MinimumKustomizeMajor)
            throw new InvalidOperationException($"{kubectl} has kustomize '{version}'; the manifests need kustomize {MinimumKustomizeMajor} or newer (kubectl 1.27+).");
        return kubectl;
    }

    private static (int Exit, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 2 minutes.");
        }
        return (process.ExitCode, stdout, stderr.Result);
    }

    private static string? FindKubectl()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "kubectl");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

internal sealed class KustomizeException(string message) : Exception(message);
