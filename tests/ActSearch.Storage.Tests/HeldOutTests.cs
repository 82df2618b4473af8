namespace ActSearch.Storage.Tests;

/// <summary>A job's held-out evaluation (schema 8): one per job, replaced by the next, gone with the job.</summary>
public sealed class HeldOutTests(PostgresServer server) : DatabaseTest(server)
{
    [Fact]
    public async Task A_jobs_evaluation_round_trips_and_the_next_one_replaces_it()
    {
        var jobId = await Samples.NewJobAsync(Storage);
        Assert.Null(await Storage.HeldOut.GetAsync(jobId));

        await Storage.HeldOut.SaveAsync(jobId, "standard", """{"tasks": [{"task": "tabular-mlp"}], "seeds": 2}""");
        var first = await Storage.HeldOut.GetAsync(jobId);
        Assert.NotNull(first);
        Assert.Equal(("standard", jobId), (first.Protocol, first.JobId));
        Assert.Contains("\"tabular-mlp\"", first.DocumentJson, StringComparison.Ordinal);

        await Storage.HeldOut.SaveAsync(jobId, "evidence", """{"tasks": [], "seeds": 5}""");
        var second = await Storage.HeldOut.GetAsync(jobId);
        Assert.Equal("evidence", second!.Protocol);
        Assert.Contains("\"seeds\": 5", second.DocumentJson, StringComparison.Ordinal);
        Assert.True(second.EvaluatedAt >= first.EvaluatedAt);
    }

    [Fact]
    public async Task An_unknown_protocol_or_job_is_refused_and_stores_nothing()
    {
        var jobId = await Samples.NewJobAsync(Storage);
        Assert.Contains("Unknown held-out protocol 'lucky'", (await Assert.ThrowsAsync<ArgumentException>(() => Storage.HeldOut.SaveAsync(jobId, "lucky", "{}"))).Message);
        await Assert.ThrowsAsync<StorageException>(() => Storage.HeldOut.SaveAsync(Guid.NewGuid(), "standard", "{}"));
        Assert.Null(await Storage.HeldOut.GetAsync(jobId));
    }
}
