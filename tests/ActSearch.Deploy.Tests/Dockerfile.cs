using System.Text.RegularExpressions;

namespace ActSearch.Deploy.Tests;

/// <summary>A Dockerfile read into its stages and instructions (continuation lines joined, comments dropped).</summary>
internal sealed partial class Dockerfile
{
    public string Path { get; }
    public IReadOnlyDictionary<string, string> GlobalArgs { get; }
    public IReadOnlyList<Stage> Stages { get; }

    private Dockerfile(string path, IReadOnlyDictionary<string, string> args, IReadOnlyList<Stage> stages) =>
        (Path, GlobalArgs, Stages) = (path, args, stages);

    /// <summary>The stages that make an image to run (they have an ENTRYPOINT).</summary>
    public IEnumerable<Stage> Images => Stages.Where(s => s.Instructions.Any(i => i.Keyword == "ENTRYPOINT"));

    public static Dockerfile Read(string relativePath)
    {
        var lines = File.ReadAllLines(Repo.Path(relativePath));
        var instructions = new List<Instruction>();
        string pending = "";
        foreach (var raw in lines)
        {
            string line = raw.TrimEnd();
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)) continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            string full = (pending + line).Trim();
            pending = "";
            int space = full.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(new Instruction(full[..space].ToUpperInvariant(), full[(space + 1)..].Trim()));
        }

        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        var stages = new List<Stage>();
        foreach (var i in instructions)
        {
            if (i.Keyword == "FROM")
            {
                var parts = i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string image = ArgPattern().Replace(parts[0], m => globals.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
                string name = parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? parts[2] : $"#{stages.Count}";
                stages.Add(new Stage(name, parts[0], image, new List<Instruction>()));
            }
            else if (stages.Count == 0 && i.Keyword == "ARG")
            {
                int eq = i.Arguments.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0) globals[i.Arguments[..eq]] = i.Arguments[(eq + 1)..];
            }
            else if (stages.Count > 0)
            {
                ((List<Instruction>)stages[^1].Instructions).Add(i);
            }
        }
        return new Dockerfile(relativePath, globals, stages);
    }

    [GeneratedRegex(@"\$\{([A-Z_]+)\}")]
    private static partial Regex ArgPattern();
}

internal sealed record Instruction(string Keyword, string Arguments);

internal sealed record Stage(string Name, string FromAsWritten, string Image, IReadOnlyList<Instruction> Instructions)
{
    public IEnumerable<string> Arguments(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>ENV as key/value pairs (KEY=value forms, several per instruction).</summary>
    public IReadOnlyDictionary<string, string> Env => Arguments("ENV")
        .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(kv => kv.Split('=', 2))
        .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);

    public IReadOnlyList<int> Exposed => [.. Arguments("EXPOSE").SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse)];

    /// <summary>COPY sources from the build context (not --from another stage), flags dropped.</summary>
    public IEnumerable<string> ContextCopySources => Arguments("COPY")
        .Select(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(p => !p.Any(x => x.StartsWith("--from=", StringComparison.Ordinal)))
        .SelectMany(p => p.Where(x => !x.StartsWith("--", StringComparison.Ordinal)).SkipLast(1));
}
