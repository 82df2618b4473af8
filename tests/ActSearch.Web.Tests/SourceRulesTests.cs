using System.Reflection;
using System.Text.RegularExpressions;

namespace ActSearch.Web.Tests;

/// <summary>Rules about the UI's own source that keep the browser tests' guarantees from rotting.</summary>
public sealed class SourceRulesTests
{
    private static string WebRoot =>
        typeof(SourceRulesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WebRoot").Value!;

    private static IEnumerable<string> OwnScripts() =>
        Directory.EnumerateFiles(WebRoot, "*.js", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}vendor{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void No_script_of_the_ui_parses_strings_as_html()
    {
        var sinks = new Regex(@"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|\beval\(|new Function\(");
        var offenders = OwnScripts()
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && sinks.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(WebRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(OwnScripts().Any(), $"no scripts found under {WebRoot}");
        Assert.True(offenders.Count == 0, "user text must become text nodes, never HTML:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void The_vendored_katex_keeps_its_licence_beside_it()
    {
        string katex = Path.Combine(WebRoot, "vendor", "katex");
        Assert.True(File.Exists(Path.Combine(katex, "LICENSE")), "vendor/katex/LICENSE");
        Assert.Contains("MIT License", File.ReadAllText(Path.Combine(katex, "LICENSE")), StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(katex, "fonts"), "*.woff2"));
    }
}
