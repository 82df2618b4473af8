namespace ActSearch.Storage.Tests;

/// <summary>Surrogate predictions (schema 9): one per candidate, read back beside the value measured for it at rung 0.</summary>
public sealed class PredictionTests(PostgresServer server) : DatabaseTest(server)
{
    [Fact]
    public async Task Predictions_come_back_in_candidate_order_with_the_mean_measured_value_of_trained_children()
    {
        var job = await Samples.NewJobAsync(Storage);
        foreach (long id in new long[] { 3, 4 })
            Assert.True(await Storage.Candidates.RecordResultAsync(Samples.Candidate(job, id, $"x * {id}"),
                new OutcomeRecord.Evaluated(job, id, TimeSpan.Zero) { Objectives = [0.8] },
                id == 3 ? [Samples.Score(job, 3, 0.9)] : [Samples.Score(job, 4, 0.7), Samples.Score(job, 4, 0.8) with { Seed = 8 }], null));

        await Storage.Predictions.RecordAsync(job,
        [
            new PredictionRecord(5, "accuracy", "fmnist-cnn", 0.61, 0.05, Trained: false),
            new PredictionRecord(3, "accuracy", "fmnist-cnn", 0.88, 0.01, Trained: true),
            new PredictionRecord(4, "accuracy", "fmnist-cnn", 0.74, 0.02, Trained: true),
        ]);
        await Storage.Predictions.RecordAsync(job, [new PredictionRecord(3, "accuracy", "fmnist-cnn", 0.10, 0.5, Trained: false)]); // kept: the first

        var rows = await Storage.Predictions.ForJobAsync(job);
        Assert.Equal([3L, 4L, 5L], rows.Select(r => r.Prediction.CandidateId));
        Assert.Equal(new PredictionRecord(3, "accuracy", "fmnist-cnn", 0.88, 0.01, true), rows[0].Prediction);
        Assert.Equal(0.9, rows[0].Measured);
        Assert.Equal(0.75, rows[1].Measured!.Value, 12);
        Assert.Null(rows[2].Measured);
        Assert.Empty(await Storage.Predictions.ForJobAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Predictions_of_an_unknown_job_are_refused_and_nothing_is_stored()
    {
        await Assert.ThrowsAsync<StorageException>(() =>
            Storage.Predictions.RecordAsync(Guid.NewGuid(), [new PredictionRecord(1, "accuracy", null, 0.5, 0.1, true)]));
    }
}
