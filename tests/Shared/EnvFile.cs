using System.Text.RegularExpressions;

namespace ActSearch.Testing;

/// <summary>
/// Reads the deployment's env files (k8s/base/env/*.env, k8s/overlays/*/worker.env): the one source of the silos'
/// settings that kustomize's configMapGenerator, docker compose's env_file and the multi-process cluster tests all
/// read. The grammar is the part those readers agree on: <c>KEY=VALUE</c> lines, blank lines and <c>#</c> comment
/// lines; no quotes, no <c>$</c>, no inline comments, no <c>export</c>, no spaces around the key, no repeated key.
/// Anything else is an error naming <c>file:line</c>, so a file that reads here reads the same everywhere.
/// <para>
/// Test projects link this file (<c>&lt;Compile Include="..\Shared\EnvFile.cs" Link="Shared\EnvFile.cs" /&gt;</c>);
/// it is internal so that two linked copies never clash.
/// </para>
/// </summary>
internal static partial class EnvFile
{
    /// <summary>The env files of a silo role, in the order they apply (a later file's key wins).</summary>
    public static IReadOnlyList<string> FilesOf(string repoRoot, SiloRole role, string overlay = "dev-cpu")
    {
        ArgumentNullException.ThrowIfNull(repoRoot);
        string env = Path.Combine(repoRoot, "k8s", "base", "env");
        return role switch
        {
            SiloRole.Coordinator => [Path.Combine(env, "common.env"), Path.Combine(env, "coordinator.env")],
            SiloRole.Worker => [Path.Combine(env, "common.env"), Path.Combine(env, "worker.env"), Path.Combine(repoRoot, "k8s", "overlays", overlay, "worker.env")],
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
        };
    }

    /// <summary>
    /// The environment a silo of <paramref name="role"/> gets in the cluster from the env files (secrets such as
    /// ACTSEARCH_DB and the Kubernetes downward-API variables come from elsewhere).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ForRole(string repoRoot, SiloRole role, string overlay = "dev-cpu") =>
        ReadAll(FilesOf(repoRoot, role, overlay));

    /// <summary>Reads several files; a key in a later file replaces the earlier value, as envFrom and env_file do.</summary>
    public static IReadOnlyDictionary<string, string> ReadAll(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
            foreach (var e in ReadEntries(path))
                values[e.Key] = e.Value;
        return values;
    }

    /// <summary>One file's settings as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> Read(string path) =>
        ReadEntries(path).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    /// <summary>One file's settings in file order, each with its line.</summary>
    public static IReadOnlyList<EnvEntry> ReadEntries(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new EnvFileException($"{path}: no such env file.");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses env-file text; <paramref name="fileName"/> is used in error messages.</summary>
    public static IReadOnlyList<EnvEntry> Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<EnvEntry>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            string where = $"{fileName}:{number}";
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) throw new EnvFileException($"{where}: expected KEY=VALUE, found '{line}'.");
            string key = line[..eq], value = line[(eq + 1)..];
            if (key.StartsWith("export ", StringComparison.Ordinal))
                throw new EnvFileException($"{where}: remove 'export': env files hold KEY=VALUE lines only.");
            if (!KeyPattern().IsMatch(key))
                throw new EnvFileException($"{where}: '{key}' is not a KEY (upper-case letters, digits and _, no spaces around '=').");
            if (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])))
                throw new EnvFileException($"{where}: the value of {key} starts or ends with a space; readers disagree on whether it is kept.");
            if (value.IndexOfAny(['"', '\'']) >= 0)
                throw new EnvFileException($"{where}: the value of {key} has a quote; kustomize keeps quotes that docker compose strips, so write the value bare.");
            if (value.Contains('$', StringComparison.Ordinal))
                throw new EnvFileException($"{where}: the value of {key} has a '$', which docker compose would interpolate and kustomize would not.");
            if (value.Contains('#', StringComparison.Ordinal))
                throw new EnvFileException($"{where}: the value of {key} has a '#', which docker compose may read as a comment; comments go on their own line.");
            if (seen.TryGetValue(key, out int first))
                throw new EnvFileException($"{where}: {key} is set again (first on line {first}).");
            seen[key] = number;
            entries.Add(new EnvEntry(key, value, fileName, number));
        }
        return entries;
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    private static partial Regex KeyPattern();
}

/// <summary>The silo hosts that the env files configure.</summary>
internal enum SiloRole
{
    Coordinator,
    Worker,
}

/// <summary>One <c>KEY=VALUE</c> line of an env file.</summary>
internal sealed record EnvEntry(string Key, string Value, string File, int Line);

/// <summary>A malformed env file; the message starts with <c>file:line:</c>.</summary>
internal sealed class EnvFileException(string message) : FormatException(message);
