namespace ActSearch.Storage.Tests;

public sealed class TransactionTests(PostgresServer server) : DatabaseTest(server)
{
    [Fact]
    public async Task A_copy_batch_with_one_bad_row_stores_nothing()
    {
        var job = await Samples.NewJobAsync(Storage);
        var candidates = Enumerable.Range(0, 1000).Select(i => Samples.Candidate(job, i, "x + 1")).ToList();
        var scores = candidates.Select(c => Samples.Score(job, c.Id, 0.5)).ToList();
        scores[700] = scores[700] with { CandidateId = 5000 }; // no such candidate: violates the foreign key

        var error = await Assert.ThrowsAsync<StorageException>(() => Storage.WriteAsync(new StorageBatch { Candidates = candidates, Scores = scores }));

        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(await Storage.Candidates.ListAsync(job));
        Assert.Empty(await Storage.Candidates.ScoresAsync(job));
    }

    [Fact]
    public async Task A_bad_checkpoint_rolls_back_the_generation_it_belongs_to()
    {
        var job = await Samples.NewJobAsync(Storage);
        var batch = new StorageBatch
        {
            Candidates = [Samples.Candidate(job, 0)],
            Outcomes = [new OutcomeRecord.Evaluated(job, 0, TimeSpan.FromSeconds(1))],
            Checkpoint = new Checkpoint(job, 0, "{ not json", [1, 2, 3, 4]),
        };

        await Assert.ThrowsAsync<StorageException>(() => Storage.WriteAsync(batch));

        Assert.Empty(await Storage.Candidates.ListAsync(job));
        Assert.Empty(await Storage.Candidates.OutcomesAsync(job));
        Assert.Null(await Storage.Checkpoints.LatestAsync(job));
    }

    [Fact]
    public async Task A_repeated_batch_adds_nothing_twice_and_the_first_outcome_stays()
    {
        var job = await Samples.NewJobAsync(Storage);
        var batch = new StorageBatch
        {
            Candidates = [Samples.Candidate(job, 0), Samples.Candidate(job, 1, "x")],
            Outcomes = [new OutcomeRecord.Evaluated(job, 0, TimeSpan.FromSeconds(1))],
            Scores = [Samples.Score(job, 0, 0.9)],
        };
        await Storage.WriteAsync(batch);
        await Storage.WriteAsync(batch); // as a retry after a lost acknowledgement would
        await Storage.Candidates.AddResultsAsync([new OutcomeRecord.Failed(job, 0, "late", TimeSpan.Zero)], []);

        Assert.Equal(2, (await Storage.Candidates.ListAsync(job)).Count);
        Assert.IsType<OutcomeRecord.Evaluated>(Assert.Single(await Storage.Candidates.OutcomesAsync(job)));
        Assert.Single(await Storage.Candidates.ScoresAsync(job));
    }

    [Fact]
    public async Task A_candidate_twice_in_one_batch_is_stored_once()
    {
        var job = await Samples.NewJobAsync(Storage);
        var c = Samples.Candidate(job, 0);

        await Storage.Candidates.AddAsync([c, Samples.Candidate(job, 1, "x"), c]);

        Assert.Equal([0L, 1L], (await Storage.Candidates.ListAsync(job)).Select(r => r.Id));
    }

    [Fact]
    public async Task An_outcome_must_match_its_kind()
    {
        var job = await Samples.NewJobAsync(Storage);
        await Storage.Candidates.AddAsync([Samples.Candidate(job, 0)]);

        // A rejection needs a stage: the schema's CHECK holds even for hand-made rows.
        await Assert.ThrowsAsync<StorageException>(() => Storage.Candidates.AddResultsAsync(
            [new OutcomeRecord.Rejected(job, 0, null!, "why", TimeSpan.Zero)], []));
        Assert.Empty(await Storage.Candidates.OutcomesAsync(job));
    }
}
