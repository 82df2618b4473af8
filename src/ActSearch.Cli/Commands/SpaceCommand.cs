using ActSearch.SearchSpaces;

namespace ActSearch.Cli;

/// <summary>`actsearch space`: check search spaces and list the built-in ones.</summary>
public sealed class SpaceCommand : ICommand
{
    public string Name => "space";

    public string Usage => """
        space validate <file.yaml> | space list    check a search space (errors as file:line:column: message); list the built-in ones
          validate   every problem in the file, one per line; exit 0 when valid, 2 otherwise
          list       the search spaces built into actsearch (usable by name: `actsearch space validate evonorm-s`)
        """;

    public Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var positionals = args.Positionals(1, 2, "a subcommand: validate <file.yaml> or list");
        switch (positionals[0])
        {
            case "list" when positionals.Count == 1:
                foreach (string name in SearchSpaceLoader.ListEmbedded())
                {
                    var space = SearchSpaceLoader.LoadEmbedded(name);
                    stdout.WriteLine($"{name,-18} {space.Kind.ToString().ToLowerInvariant(),-10} {FirstLine(space.Description)}");
                }
                return Task.FromResult(CliApp.Ok);
            case "validate" when positionals.Count == 2:
            {
                string path = positionals[1];
                SearchSpace? space;
                IReadOnlyList<SearchSpaceError> errors;
                bool ok;
                if (File.Exists(path) || !SearchSpaceLoader.ListEmbedded().Contains(path.EndsWith(".yaml", StringComparison.Ordinal) ? path[..^5] : path))
                {
                    ok = SearchSpaceLoader.TryLoad(path, out space, out errors); // a missing file is reported at file:1:1
                }
                else
                {
                    var (yaml, fileName) = SpaceArgument.Read(path);
                    ok = SearchSpaceLoader.TryLoadFromText(yaml, fileName, out space, out errors);
                }
                if (!ok)
                {
                    foreach (var e in errors) stderr.WriteLine(e.ToString());
                    return Task.FromResult(CliApp.UserError);
                }
                var s = space!;
                stdout.WriteLine($"{path}: valid {s.Kind.ToString().ToLowerInvariant()} search space '{s.Name}': " +
                    $"{s.Evolution.Genome.Representation.ToString().ToLowerInvariant()} genomes, {s.Evolution.Selection.Strategy} selection, " +
                    $"objectives {string.Join(", ", s.Evolution.Objectives.Select(o => o.Key))}, tasks {string.Join(", ", s.Tasks)}, " +
                    $"budget {SpaceArgument.Describe(s.Evolution.Budget.Evaluations, s.Evolution.Budget.WallTime)}.");
                return Task.FromResult(CliApp.Ok);
            }
            default:
                throw new UsageException($"unknown subcommand '{string.Join(' ', positionals)}'; use: space validate <file.yaml>, or space list.");
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
