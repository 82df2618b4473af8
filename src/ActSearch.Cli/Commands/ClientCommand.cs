using System.Diagnostics;
using System.Globalization;

namespace ActSearch.Cli;

/// <summary>
/// A command that talks to a coordinator over HTTP (submit, jobs, watch, activations, export). A failed call
/// prints one line ("actsearch submit: cannot reach http://127.0.0.1:5080: connection refused"), then any
/// further lines of the server's answer (one per search-space error, file:line:column), and exits 2 for the
/// caller's mistakes (refused token, unknown id, invalid request) or 1 otherwise.
/// </summary>
public abstract class ClientCommand : ICommand
{
    /// <summary>The options every client command takes, for its usage text.</summary>
    public const string ServerOptions = """
          --server   the coordinator's URL (default ACTSEARCH_SERVER, else http://127.0.0.1:5080; jobs, activations
                     and export read the local store instead when neither is given)
          --token    the API token sent as 'Authorization: Bearer' (default ACTSEARCH_TOKEN); writes need one
        """;

    public abstract string Name { get; }

    public abstract string Usage { get; }

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        try
        {
            return await ExecuteAsync(args, stdout, stderr, cancellation);
        }
        catch (ApiException e)
        {
            stderr.WriteLine($"actsearch {Name}: {ClientFormat.Clean(e.Lines.Count > 0 ? e.Lines[0] : e.Message)}");
            foreach (string line in e.Lines.Skip(1)) stderr.WriteLine(ClientFormat.Clean(line));
            return e.ExitCode;
        }
    }

    protected abstract Task<int> ExecuteAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation);

    /// <summary>
    /// Follows a job's events until it is final, printing a progress line whenever it changes, then the summary.
    /// Exit code: 0 when the job finished, 1 when it failed or was cancelled.
    /// </summary>
    internal static async Task<int> FollowAsync(ApiClient api, Guid id, TextWriter stdout, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        JobInfo? final = null;
        await foreach (var job in api.WatchAsync(id, cancellation))
        {
            string line = ClientFormat.Progress(job);
            if (line != last) stdout.WriteLine($"[{clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture),5}s] {line}");
            last = line;
            if (job.IsFinal) final = job;
        }
        if (final is null) throw new ApiException(CliApp.Failure, [$"the event stream of job {id} ended before the job did."]);
        stdout.WriteLine();
        stdout.Write(ClientFormat.Summary(final));
        return final.State == "finished" ? CliApp.Ok : CliApp.Failure;
    }

    /// <summary>A job id, or the unique prefix of one among the newest 200 jobs.</summary>
    internal static async Task<Guid> ResolveJobAsync(ApiClient api, string text, CancellationToken cancellation)
    {
        if (Guid.TryParse(text, out var id)) return id;
        if (text.Length < 4 || !text.All(Uri.IsHexDigit))
            throw new UsageException($"'{text}' is not a job id (a GUID, or at least its first 4 hex digits).");
        var page = await api.JobsAsync(null, 1, 200, cancellation);
        var matches = page.Items.Where(j => j.Id.ToString("N").StartsWith(text, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0].Id,
            0 => throw new UsageException($"no job id in {api.Location} starts with '{text}' (see actsearch jobs)."),
            _ => throw new UsageException($"'{text}' is the start of {matches.Count} job ids; give more of it."),
        };
    }
}
