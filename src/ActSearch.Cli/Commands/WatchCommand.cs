namespace ActSearch.Cli;

/// <summary>`actsearch watch`: a job's live progress from its server-sent events (GET /api/jobs/{id}/events).</summary>
public sealed class WatchCommand : ClientCommand
{
    public override string Name => "watch";

    public override string Usage => """
        watch <job> [--server URL] [--token T]   follow a job's progress until it ends
          <job>      the job id, or its first hex digits (at least 4)
        One line per change: state, generation, scored against the budget, rejections per stage, best value per objective.
        Exit 0 when the job finished, 1 when it failed or was cancelled. Ctrl+C stops watching; the job goes on.
        """ + "\n" + ServerOptions;

    protected override async Task<int> ExecuteAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        using var api = ApiClient.FromArgs(args);
        string job = args.Positionals(1, 1, "the job id")[0];
        var id = await ResolveJobAsync(api, job, cancellation);
        return await FollowAsync(api, id, stdout, cancellation);
    }
}
