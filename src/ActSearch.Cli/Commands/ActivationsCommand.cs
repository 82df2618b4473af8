using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActSearch.Cli;

/// <summary>`actsearch activations`: the catalog of functions found by every job (GET /api/activations).</summary>
public sealed class ActivationsCommand : ClientCommand
{
    private const int MaxPageSize = 200;

    public override string Name => "activations";

    public override string Usage => """
        activations [--top N] [--task T] [--objective O] [--q TEXT] [--sort score|recent] [--json] [--server URL] [--token T]   the catalog
          --top        how many to list (default 20)
          --task       only functions scored on this proxy task; SCORE is on it
          --objective  the objective SCORE shows and --sort score orders by (default accuracy)
          --q          only formulas containing this text
          --sort       score (default: best first) or recent (last seen first)
          --json       the server's JSON items instead of the table
        """ + "\n" + ServerOptions;

    protected override async Task<int> ExecuteAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        using var api = await ApiClient.ForReadsAsync(args, cancellation);
        int top = args.Int("--top", 1, 100_000) ?? 20;
        string? task = args.Option("--task");
        string? objective = args.Option("--objective");
        string? text = args.Option("--q");
        string sort = args.Choice("--sort", "score", "score", "recent");
        bool json = args.Flag("--json");
        args.Positionals(0, 0, "");

        int pageSize = Math.Min(top, MaxPageSize);
        if (json)
        {
            // The items of as many pages as --top needs, as one JSON array.
            var items = new JsonArray();
            for (int page = 1; items.Count < top; page++)
            {
                var body = JsonNode.Parse(await api.ActivationsJsonAsync(sort, objective, task, text, page, pageSize, cancellation))!;
                var pageItems = body["items"]!.AsArray();
                int received = pageItems.Count;
                foreach (var item in pageItems.ToList().Take(top - items.Count))
                {
                    pageItems.Remove(item); // a node has one parent
                    items.Add(item);
                }
                if (received < pageSize || (long)page * pageSize >= (long)body["total"]!) break;
            }
            stdout.WriteLine(items.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return CliApp.Ok;
        }

        var list = new List<ActivationInfo>();
        long total = 0;
        for (int page = 1; list.Count < top; page++)
        {
            var result = await api.ActivationsAsync(sort, objective, task, text, page, pageSize, cancellation);
            total = result.Total;
            list.AddRange(result.Items.Take(top - list.Count));
            if (result.Items.Count == 0 || (long)page * pageSize >= result.Total) break;
        }
        if (list.Count == 0)
        {
            stdout.WriteLine(text is null && task is null ? "the catalog is empty" : "no activation matches");
            return CliApp.Ok;
        }
        stdout.Write(ClientFormat.ActivationsTable(list, objective, task));
        if (total > list.Count) stdout.WriteLine($"{list.Count} of {total} (--top for more)");
        return CliApp.Ok;
    }
}
