using System.Text.RegularExpressions;
using ActSearch.Hosting;

namespace ActSearch.Deploy.Tests;

/// <summary>deploy/CONFIGURATION.md lists every setting, and the deployment uses only listed ones.</summary>
public sealed partial class ConfigurationReferenceTests
{
    private static readonly string Reference = File.ReadAllText(Repo.Path("deploy/CONFIGURATION.md"));

    private static IReadOnlyDictionary<string, string[]> Rows { get; } = Reference.Split('\n')
        .Where(l => l.StartsWith("| `ACTSEARCH_", StringComparison.Ordinal))
        .Select(l => l.Split('|', StringSplitOptions.TrimEntries)[1..^1])
        .ToDictionary(cells => cells[0].Trim('`'), cells => cells, StringComparer.Ordinal);

    [Fact]
    public void The_variable_names_are_the_inverse_of_the_configuration_key_mapping()
    {
        foreach (var (property, variable) in Settings.Options)
            Assert.Equal(property.Name, ActSearchEnvironment.KeyOf(variable[ActSearchEnvironment.Prefix.Length..]));
    }

    [Fact]
    public void Every_ActSearchOptions_setting_has_a_row_with_its_variable_and_appsettings_key()
    {
        Assert.NotEmpty(Settings.Options);
        foreach (var (property, variable) in Settings.Options)
        {
            Assert.True(Rows.TryGetValue(variable, out var row), $"deploy/CONFIGURATION.md has no row for {variable} (ActSearchOptions.{property.Name})");
            Assert.Equal($"`ActSearch:{property.Name}`", row[1]);
        }
    }

    /// <summary>Where a default does not depend on the machine, the table states ActSearchOptions' own.</summary>
    [Fact]
    public void The_stated_defaults_are_ActSearchOptions_defaults()
    {
        var defaults = new ActSearchOptions();
        foreach (var (property, variable) in Settings.Options)
        {
            object? value = property.GetValue(defaults);
            if (property.Name is nameof(ActSearchOptions.Home) or nameof(ActSearchOptions.Slots)) continue; // machine-dependent
            string stated = Rows[variable][2];
            string expected = value is null ? "unset" : $"`{Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant()}`";
            Assert.True(stated.StartsWith(expected, StringComparison.Ordinal), $"{variable}: the default is {expected}, the reference says {stated}");
        }
    }

    [Fact]
    public void Every_ACTSEARCH_variable_the_deployment_mentions_is_in_the_reference()
    {
        var files = new[] { "deploy", "k8s" }
            .SelectMany(d => Directory.GetFiles(Repo.Path(d), "*", SearchOption.AllDirectories))
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.Contains("/spaces/", StringComparison.Ordinal) && !f.EndsWith("space.yaml", StringComparison.Ordinal));
        foreach (var file in files)
            foreach (Match m in VariablePattern().Matches(File.ReadAllText(file)))
                Assert.True(Settings.Known.Contains(m.Value) || Rows.ContainsKey(m.Value) || m.Value is "ACTSEARCH_DB_PASSWORD" or "ACTSEARCH_API_TOKEN",
                    $"{Path.GetRelativePath(Repo.Root, file)} uses {m.Value}, which deploy/CONFIGURATION.md does not list");
        foreach (var variable in Settings.Others) Assert.True(Rows.ContainsKey(variable), $"deploy/CONFIGURATION.md has no row for {variable}");
    }

    [Fact]
    public void The_README_links_the_reference()
    {
        Assert.Contains("(deploy/CONFIGURATION.md)", File.ReadAllText(Repo.Path("README.md")), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\bACTSEARCH_[A-Z_]+\b")]
    private static partial Regex VariablePattern();
}
