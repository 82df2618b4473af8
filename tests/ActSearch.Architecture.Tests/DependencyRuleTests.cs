using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ActSearch.Architecture.Tests;

/// <summary>
/// The one-way dependency rule of docs/architecture.md, checked against every project file under src/ and silos/: each
/// project references exactly the projects and packages its row of the table lists, and the references have no cycle.
/// </summary>
public sealed partial class DependencyRuleTests
{
    private static readonly string Root = FindRoot();

    private sealed record Rule(HashSet<string> Projects, HashSet<string> Packages);

    private sealed record ProjectFile(string Name, string Path, HashSet<string> Projects, HashSet<string> Packages);

    private static readonly Dictionary<string, Rule> Rules = ReadRules();

    private static readonly Dictionary<string, ProjectFile> Projects = ReadProjects();

    public static TheoryData<string> Names => new([.. Projects.Keys.Order(StringComparer.Ordinal)]);

    [Fact]
    public void Every_project_has_a_row_and_every_row_a_project()
    {
        Assert.Equal(Projects.Keys.Order(StringComparer.Ordinal), Rules.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_project_references_exactly_what_its_row_allows(string name)
    {
        var project = Projects[name];
        Assert.True(Rules.TryGetValue(name, out var rule), $"docs/architecture.md has no row for {name}.");
        Assert.Equal(rule.Projects.Order(StringComparer.Ordinal), project.Projects.Order(StringComparer.Ordinal));
        Assert.Equal(rule.Packages.Order(StringComparer.Ordinal), project.Packages.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_references_have_no_cycle()
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1: on the path, 2: done
        void Visit(string name, List<string> path)
        {
            if (state.GetValueOrDefault(name) == 2) return;
            Assert.False(state.GetValueOrDefault(name) == 1, $"cycle: {string.Join(" -> ", path)} -> {name}");
            state[name] = 1;
            path.Add(name);
            foreach (var next in Projects.TryGetValue(name, out var p) ? p.Projects : []) Visit(next, path);
            path.RemoveAt(path.Count - 1);
            state[name] = 2;
        }
        foreach (var name in Projects.Keys) Visit(name, []);
    }

    [Fact]
    public void The_core_and_the_coordinator_side_never_reach_TorchSharp_or_Orleans_they_do_not_own()
    {
        Assert.DoesNotContain(Closure("ActSearch.Grains.Coordinator"), p => p.StartsWith("ActSearch.Evaluation.Torch", StringComparison.Ordinal));
        foreach (var core in new[] { "ActSearch.Expressions", "ActSearch.Evolution", "ActSearch.Evaluation", "ActSearch.SearchSpaces" })
            Assert.DoesNotContain(Closure(core), p => p.StartsWith("ActSearch.Grains", StringComparison.Ordinal) || p == "ActSearch.Evaluation.Torch");
    }

    /// <summary>Every project <paramref name="name"/> reaches through its references.</summary>
    private static HashSet<string> Closure(string name)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(Projects[name].Projects);
        while (todo.TryPop(out var next))
            if (seen.Add(next) && Projects.TryGetValue(next, out var p)) foreach (var r in p.Projects) todo.Push(r);
        return seen;
    }

    // ---- reading ----

    private static Dictionary<string, ProjectFile> ReadProjects()
    {
        var result = new Dictionary<string, ProjectFile>(StringComparer.Ordinal);
        foreach (var folder in new[] { "src", "silos" })
        foreach (var path in Directory.EnumerateFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories))
        {
            if (path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var doc = XDocument.Load(path);
            var projects = doc.Descendants("ProjectReference").Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')));
            var packages = doc.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value);
            string name = Path.GetFileNameWithoutExtension(path);
            result[name] = new ProjectFile(name, path, [.. projects], [.. packages]);
        }
        return result;
    }

    private static Dictionary<string, Rule> ReadRules()
    {
        var text = File.ReadAllText(Path.Combine(Root, "docs", "architecture.md"));
        int start = text.IndexOf("## Dependencies point one way", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no section '## Dependencies point one way'.");
        int end = text.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        var rules = new Dictionary<string, Rule>(StringComparer.Ordinal);
        foreach (Match m in Row().Matches(text[start..(end < 0 ? text.Length : end)]))
            rules[m.Groups["name"].Value] = new Rule(Cells(m.Groups["projects"].Value), Cells(m.Groups["packages"].Value));
        return rules;
    }

    private static HashSet<string> Cells(string cell) =>
        cell.Trim() == "—" ? [] : [.. cell.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    [GeneratedRegex(@"^\| `(?<name>[A-Za-z.]+)` \| (?<projects>[^|]+) \| (?<packages>[^|]+) \|$", RegexOptions.Multiline)]
    private static partial Regex Row();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ActSearch.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("ActSearch.sln not found above " + AppContext.BaseDirectory);
    }
}
