using System.Reflection;
using ActSearch.Hosting;
using ActSearch.Testing;

namespace ActSearch.Deploy.Tests;

/// <summary>The settings the deployment may use: ActSearchOptions' properties plus the few read elsewhere.</summary>
internal static class Settings
{
    /// <summary>Settings not in ActSearchOptions: the CLI client's defaults.</summary>
    public static IReadOnlyList<string> Others { get; } = ["ACTSEARCH_SERVER", "ACTSEARCH_TOKEN"];

    /// <summary>Each settable ActSearchOptions property with its environment variable (ClusterId: ACTSEARCH_CLUSTER_ID).</summary>
    public static IReadOnlyList<(PropertyInfo Property, string Variable)> Options { get; } =
        [.. typeof(ActSearchOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => (p, ActSearchEnvironment.Prefix + VariableOf(p.Name)))];

    public static IReadOnlySet<string> Known { get; } = Options.Select(o => o.Variable).Concat(Others).ToHashSet(StringComparer.Ordinal);

    /// <summary>ClusterId -> CLUSTER_ID, the inverse of ActSearchEnvironment.KeyOf.</summary>
    public static string VariableOf(string property) =>
        string.Concat(property.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));

    public static IReadOnlyDictionary<string, string> Coordinator => EnvFile.ForRole(Repo.Root, SiloRole.Coordinator);
    public static IReadOnlyDictionary<string, string> Worker => EnvFile.ForRole(Repo.Root, SiloRole.Worker);

    /// <summary>The port of the first ACTSEARCH_URLS address.</summary>
    public static int HttpPort(IReadOnlyDictionary<string, string> env) =>
        int.Parse(env["ACTSEARCH_URLS"].Split(';')[0].TrimEnd('/').Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
}
