using System.Collections;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace ActSearch.Hosting;

/// <summary>
/// Maps <c>ACTSEARCH_*</c> environment variables into the configuration section <c>ActSearch</c>, as
/// deploy/CONFIGURATION.md lists them (the same names in appsettings): <c>ACTSEARCH_DB</c> is <c>ActSearch:Db</c>,
/// <c>ACTSEARCH_CLUSTER_ID</c> is <c>ActSearch:ClusterId</c>. Added last, so the environment wins over files.
/// </summary>
public static class ActSearchEnvironment
{
    public const string Prefix = "ACTSEARCH_";

    /// <summary>
    /// Adds the process environment's <c>ACTSEARCH_*</c> variables once: a second call without
    /// <paramref name="environment"/> leaves the sources as they are, so what a host added after the first call
    /// (command-line options) keeps winning.
    /// </summary>
    public static IConfigurationBuilder AddActSearchEnvironment(this IConfigurationBuilder configuration, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (environment is null && configuration.Sources.OfType<ProcessEnvironmentSource>().Any()) return configuration;
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry e in environment ?? Environment.GetEnvironmentVariables())
        {
            if (e.Key is string key && key.StartsWith(Prefix, StringComparison.Ordinal) && key.Length > Prefix.Length)
                values[$"{ActSearchOptions.Section}:{KeyOf(key[Prefix.Length..])}"] = e.Value as string;
        }
        if (environment is not null) return configuration.AddInMemoryCollection(values);
        configuration.Add(new ProcessEnvironmentSource { InitialData = values });
        return configuration;
    }

    /// <summary>The process environment's settings; its type marks that they were added.</summary>
    private sealed class ProcessEnvironmentSource : MemoryConfigurationSource;

    /// <summary>CLUSTER_ID -> ClusterId.</summary>
    public static string KeyOf(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var part in name.Split('_', StringSplitOptions.RemoveEmptyEntries))
            sb.Append(char.ToUpperInvariant(part[0])).Append(part[1..].ToLowerInvariant());
        return sb.ToString();
    }
}
