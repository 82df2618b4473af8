using System.Diagnostics;

namespace ActSearch.Storage.Tests;

/// <summary>Crash-safe resume, with a real SIGKILL of a child process that runs a search (see <see cref="ResumeChild"/>).</summary>
public sealed class ResumeTests(PostgresServer server) : DatabaseTest(server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_killed_job_resumes_from_its_last_checkpoint_and_ends_with_the_same_front()
    {
        var uninterrupted = Guid.NewGuid();
        var killed = Guid.NewGuid();

        var (exit, output) = await RunToEndAsync(uninterrupted);
        Assert.True(exit == 0, output);

        using (var child = Start(killed, "--hang-after", "3"))
        {
            await WaitForLineAsync(child, "hanging");
            child.Kill(); // SIGKILL: no dispose, no flush, no goodbye
            await child.WaitForExitAsync();
        }
        var checkpoint = await Storage.Checkpoints.LatestAsync(killed);
        Assert.Equal(3, checkpoint?.Generation);
        Assert.Equal(JobStatus.Running, (await Storage.Jobs.GetAsync(killed))!.Status);
        // Nothing of the generation in progress was stored: its outcomes existed only in the dead process.
        Assert.Empty(await Storage.Candidates.ListAsync(killed, generation: 3));

        (exit, output) = await RunToEndAsync(killed);
        Assert.True(exit == 0, output);
        Assert.Contains("resumed at generation 3", output, StringComparison.Ordinal);

        var expected = await Storage.Fronts.LatestAsync(uninterrupted);
        var actual = await Storage.Fronts.LatestAsync(killed);
        Assert.NotNull(expected);
        Assert.NotEmpty(expected.Members);
        Assert.Equal(expected with { JobId = killed }, actual);
        Assert.Equal(JobStatus.Finished, (await Storage.Jobs.GetAsync(killed))!.Status);
        // Both jobs stored the same candidates, and the catalog saw each function from both.
        Assert.Equal(
            (await Storage.Candidates.ListAsync(uninterrupted)).Select(c => (c.Id, c.Fingerprint)),
            (await Storage.Candidates.ListAsync(killed)).Select(c => (c.Id, c.Fingerprint)));
    }

    private Process Start(Guid job, params string[] more)
    {
        string dll = typeof(ResumeChild).Assembly.Location;
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[dll, "resume-child", job.ToString(), .. more]) psi.ArgumentList.Add(a);
        psi.Environment["ACTSEARCH_DB"] = Database.ConnectionString;
        return Process.Start(psi)!;
    }

    private async Task<(int Exit, string Output)> RunToEndAsync(Guid job)
    {
        using var child = Start(job);
        using var limit = new CancellationTokenSource(Deadline);
        var stdout = child.StandardOutput.ReadToEndAsync(limit.Token);
        var stderr = child.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await child.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill();
            throw new TimeoutException($"The child did not finish within {Deadline}.");
        }
        return (child.ExitCode, await stdout + await stderr);
    }

    private static async Task WaitForLineAsync(Process child, string line)
    {
        using var limit = new CancellationTokenSource(Deadline);
        try
        {
            while (await child.StandardOutput.ReadLineAsync(limit.Token) is { } read)
                if (read == line) return;
        }
        catch (OperationCanceledException)
        {
            child.Kill();
            throw new TimeoutException($"The child never printed '{line}'.");
        }
        throw new InvalidOperationException($"The child ended without printing '{line}': {await child.StandardError.ReadToEndAsync()}");
    }
}
