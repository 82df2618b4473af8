using System.Globalization;
using ActSearch.SearchSpaces;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch submit`: sends a search space to a coordinator (POST /api/jobs). The space is validated here
/// first, so its mistakes show as file:line:column before anything goes over the network.
/// </summary>
public sealed class SubmitCommand : ClientCommand
{
    public override string Name => "submit";

    public override string Usage => """
        submit <space.yaml | built-in space> [--server URL] [--token T] [--name N] [--seed S] [--budget N] [--wall-time SECONDS] [--wait]   a search on a server
          --name       a name for the job (default: the space's name)
          --seed       random seed, 0 to 2^64-1 (default: the space's seed)
          --budget     most candidates to score (default: the space's budget)
          --wall-time  most seconds the search may run
          --wait       follow the job's progress until it ends; exit 0 when it finished, 1 when it failed or was cancelled
        """ + "\n" + ServerOptions + """

        Prints the job id (alone on the first line of standard output). Exit 2: an invalid space or option, or a refused token.
        """;

    protected override async Task<int> ExecuteAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        using var api = ApiClient.FromArgs(args);
        string? name = args.Option("--name");
        ulong? seed = ParseSeed(args.Option("--seed"));
        int? budget = args.Int("--budget", 1, SearchSpaceDefaults.MaxEvaluations);
        double? wallTime = ParseSeconds(args.Option("--wall-time"));
        bool wait = args.Flag("--wait");
        string spaceArg = args.Positionals(1, 1, "the search space (a YAML file, or a built-in name: actsearch space list)")[0];
        if (name is { Length: > 200 }) throw new UsageException("option --name must be at most 200 characters.");

        var (yaml, fileName) = SpaceArgument.Read(spaceArg);
        if (!SearchSpaceLoader.TryLoadFromText(yaml, fileName, out var space, out var errors))
        {
            // The same words `actsearch space check` prints: nothing is sent.
            foreach (var e in errors.Skip(1)) stderr.WriteLine(e.ToString());
            throw new UsageException(errors[0].ToString());
        }

        var job = await api.SubmitAsync(yaml, fileName, name, seed, budget, wallTime, cancellation);
        stdout.WriteLine(job.Id);
        stderr.WriteLine($"submitted {space!.Name} to {api.Server.ToString().TrimEnd('/')} as job {job.Id} ({ClientFormat.Clean(job.Name)}, seed {job.Seed}, " +
            $"budget {SpaceArgument.Describe(job.BudgetEvaluations is { } b ? (int)b : null, job.BudgetWallTime is { } w ? TimeSpan.FromSeconds(w) : null)})" +
            (wait ? "" : $"; follow it with: actsearch watch {job.Id}"));
        return wait ? await FollowAsync(api, job.Id, stdout, cancellation) : CliApp.Ok;
    }

    private static ulong? ParseSeed(string? text)
    {
        if (text is null) return null;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : throw new UsageException($"option --seed must be a whole number from 0 to {ulong.MaxValue}, got '{text}'.");
    }

    private static double? ParseSeconds(string? text)
    {
        if (text is null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && double.IsFinite(s)
            ? s
            : throw new UsageException($"option --wall-time must be a positive number of seconds, got '{text}'.");
    }
}
