using ActSearch.Expressions;

namespace ActSearch.Storage.Tests;

public sealed class CatalogTests(PostgresServer server) : DatabaseTest(server)
{
    private static CatalogObservation Seen(CandidateRecord c, params ObservedScore[] scores) =>
        new(c.Fingerprint, c.Formula, c.JobId, c.Id, scores);

    private static ObservedScore Accuracy(double v, string task = "fmnist-cnn") => new("accuracy", task, v, ScoreGoal.Maximize);

    [Fact]
    public async Task Same_function_from_two_jobs_is_one_entry_seen_twice_with_the_best_score()
    {
        var jobA = await Samples.NewJobAsync(Storage);
        var jobB = await Samples.NewJobAsync(Storage);
        // Written differently, the same function: one fingerprint.
        var a = Samples.Candidate(jobA, 0, "x * sigmoid(x)");
        var b = Samples.Candidate(jobB, 7, "sigmoid(x) * x + 0");
        Assert.Equal(a.Fingerprint, b.Fingerprint);

        await Storage.Catalog.RecordAsync([Seen(a, Accuracy(0.91), new ObservedScore("loss", "fmnist-cnn", 0.30, ScoreGoal.Minimize))]);
        await Storage.Catalog.RecordAsync([Seen(b, Accuracy(0.88), new ObservedScore("loss", "fmnist-cnn", 0.25, ScoreGoal.Minimize))]);

        var page = await Storage.Catalog.SearchAsync(null, new CatalogOrder.Recent());
        var entry = Assert.Single(page.Items);
        Assert.Equal(2, entry.TimesSeen);
        Assert.Equal(jobA, entry.FirstJob);
        Assert.Equal(jobB, entry.LatestJob);
        Assert.Equal("x * sigmoid(x)", entry.Formula); // the shorter text represents the function
        Assert.True(entry.LastSeen >= entry.FirstSeen);
        // Best by each objective's goal: higher accuracy from job A, lower loss from job B.
        Assert.Equal(new CatalogScore("accuracy", "fmnist-cnn", 0.91, ScoreGoal.Maximize, jobA, 0), entry.Score("accuracy", "fmnist-cnn"));
        Assert.Equal(new CatalogScore("loss", "fmnist-cnn", 0.25, ScoreGoal.Minimize, jobB, 7), entry.Score("loss", "fmnist-cnn"));
    }

    [Fact]
    public async Task Duplicates_within_one_batch_count_each_sighting()
    {
        var job = await Samples.NewJobAsync(Storage);
        var a = Samples.Candidate(job, 0, "tanh(x)");
        var b = Samples.Candidate(job, 1, "tanh(x)");
        await Storage.Catalog.RecordAsync([Seen(a, Accuracy(0.5)), Seen(b, Accuracy(0.7), new ObservedScore("accuracy", "x", double.NaN, ScoreGoal.Maximize))]);

        var entry = await Storage.Catalog.GetAsync(a.Fingerprint);
        Assert.Equal(2, entry!.TimesSeen);
        Assert.Equal(0.7, entry.Score("accuracy", "fmnist-cnn")!.Best);
        Assert.Equal(1, entry.Score("accuracy", "fmnist-cnn")!.CandidateId);
        Assert.Null(entry.Score("accuracy", "x")); // NaN cannot rank
    }

    [Fact]
    public async Task Top_lists_best_first_on_the_asked_task_only()
    {
        var job = await Samples.NewJobAsync(Storage);
        string[] formulas = ["x", "tanh(x)", "sigmoid(x)", "x * sigmoid(x)", "exp(x)", "abs(x)"];
        var seen = formulas.Select((f, i) => Seen(Samples.Candidate(job, i, f), Accuracy(0.1 * i), Accuracy(1 - 0.1 * i, "cifar"))).ToList();
        await Storage.Catalog.RecordAsync(seen);

        var top = await Storage.Catalog.TopAsync("accuracy", "fmnist-cnn", 3);
        Assert.Equal(["abs(x)", "exp(x)", "x * sigmoid(x)"], top.Select(e => e.Formula));
        var worst = await Storage.Catalog.TopAsync("accuracy", "fmnist-cnn", 2, ScoreGoal.Minimize);
        Assert.Equal(["x", "tanh(x)"], worst.Select(e => e.Formula));
        Assert.Equal("x", (await Storage.Catalog.TopAsync("accuracy", "cifar", 1))[0].Formula);
        Assert.Empty(await Storage.Catalog.TopAsync("accuracy", "no-such-task", 10));
    }

    [Fact]
    public async Task Search_matches_formula_text_and_pages()
    {
        var job = await Samples.NewJobAsync(Storage);
        string[] formulas = ["sigmoid(x)", "x * sigmoid(x)", "sigmoid(2 * x)", "tanh(x)", "x % 2"];
        await Storage.Catalog.RecordAsync([.. formulas.Select((f, i) => Seen(Samples.Candidate(job, i, f.Replace("%", "+", StringComparison.Ordinal)), Accuracy(i)))]);

        var first = await Storage.Catalog.SearchAsync("SIGMOID", new CatalogOrder.ByScore("accuracy", "fmnist-cnn"), page: 1, pageSize: 2);
        Assert.Equal(3, first.Total);
        Assert.Equal(["sigmoid(2 * x)", "x * sigmoid(x)"], first.Items.Select(e => e.Formula));
        var second = await Storage.Catalog.SearchAsync("SIGMOID", new CatalogOrder.ByScore("accuracy", "fmnist-cnn"), page: 2, pageSize: 2);
        Assert.Equal(["sigmoid(x)"], second.Items.Select(e => e.Formula));
        // LIKE wildcards in the text are plain characters.
        Assert.Equal(0, (await Storage.Catalog.SearchAsync("%", new CatalogOrder.Recent())).Total);
        Assert.Equal(5, (await Storage.Catalog.SearchAsync(null, new CatalogOrder.Recent())).Total);
    }

    [Fact]
    public async Task Candidates_of_a_function_are_found_across_jobs()
    {
        var jobA = await Samples.NewJobAsync(Storage);
        var jobB = await Samples.NewJobAsync(Storage);
        var a = Samples.Candidate(jobA, 0, "x * sigmoid(x)");
        await Storage.Candidates.AddAsync([a, Samples.Candidate(jobA, 1, "x")]);
        await Storage.Candidates.AddAsync([Samples.Candidate(jobB, 3, "sigmoid(x) * x")]);

        var found = await Storage.Candidates.FindByFingerprintAsync(a.Fingerprint);
        Assert.Equal(2, found.Count);
        Assert.Equal(new HashSet<Guid> { jobA, jobB }, found.Select(c => c.JobId).ToHashSet());
        Assert.Empty(await Storage.Candidates.FindByFingerprintAsync(new Fingerprint(1)));
    }
}
