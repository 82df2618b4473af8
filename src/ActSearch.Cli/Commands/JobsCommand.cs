namespace ActSearch.Cli;

/// <summary>`actsearch jobs`: the server's jobs, newest first, as a table (GET /api/jobs).</summary>
public sealed class JobsCommand : ClientCommand
{
    public override string Name => "jobs";

    public override string Usage => """
        jobs [--state S] [--page N] [--page-size N] [--json] [--server URL] [--token T]   the jobs on a server, newest first
          --state      only jobs in this state: queued, running, paused, finished, failed, cancelled
          --page       page of the listing (default 1); --page-size jobs per page (default 50, at most 200)
          --json       the server's JSON page instead of the table
        """ + "\n" + ServerOptions;

    protected override async Task<int> ExecuteAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        using var api = await ApiClient.ForReadsAsync(args, cancellation);
        string? state = args.Option("--state");
        if (state is not null && state is not ("queued" or "running" or "paused" or "finished" or "failed" or "cancelled"))
            throw new UsageException($"option --state must be one of queued, running, paused, finished, failed, cancelled, got '{state}'.");
        int page = args.Int("--page", 1, 1_000_000) ?? 1;
        int pageSize = args.Int("--page-size", 1, 200) ?? 50;
        bool json = args.Flag("--json");
        args.Positionals(0, 0, "");

        var jobs = await api.JobsAsync(state, page, pageSize, cancellation);
        if (json)
        {
            stdout.WriteLine(System.Text.Json.JsonSerializer.Serialize(jobs, ApiClient.Json));
            return CliApp.Ok;
        }
        if (jobs.Items.Count == 0)
        {
            stdout.WriteLine(jobs.Total == 0 ? "no jobs" : $"no jobs on page {page} ({jobs.Total} in all)");
            return CliApp.Ok;
        }
        stdout.Write(ClientFormat.JobsTable(jobs.Items));
        if (jobs.Total > jobs.Items.Count)
            stdout.WriteLine($"{jobs.Items.Count} of {jobs.Total} jobs (page {jobs.Page}; --page for more)");
        return CliApp.Ok;
    }
}
