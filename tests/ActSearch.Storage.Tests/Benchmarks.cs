using System.Diagnostics;
using ActSearch.Expressions;
using Npgsql;
using Xunit.Abstractions;

namespace ActSearch.Storage.Tests;

/// <summary>A test that runs only when ACTSEARCH_BENCH is set (it measures, it does not assert on time).</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("ACTSEARCH_BENCH") is not { Length: > 0 }) Skip = "a benchmark: set ACTSEARCH_BENCH=1 to run it";
    }
}

/// <summary>
/// The storage numbers the issue asks for, on a durable embedded server of its own (fsync on, like production):
/// ACTSEARCH_BENCH=1 dotnet test tests/ActSearch.Storage.Tests -c Release --filter Category=Benchmark --logger "console;verbosity=detailed"
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Benchmark")]
public sealed class Benchmarks(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 100_000;
    private readonly string _home = TempDir.Create("bench");
    private ActSearchStorage _storage = null!;

    public async Task InitializeAsync() =>
        _storage = await ActSearchStorage.OpenAsync(new StorageOptions { Embedded = new() { DataDirectory = Path.Combine(_home, "pg"), Durable = true } });

    public async Task DisposeAsync()
    {
        await _storage.DisposeAsync();
        TempDir.Delete(_home);
    }

    [BenchmarkFact]
    public async Task Write_100k_candidates_with_scores_and_query_the_top_50()
    {
        var job = Samples.Job();
        await _storage.Jobs.CreateAsync(job);
        string genome = GraphJson.Serialize(ExprParser.Parse("x * sigmoid(v1 * x)"));
        var candidates = new CandidateRecord[Rows];
        var outcomes = new OutcomeRecord[Rows];
        var scores = new ScoreRecord[2 * Rows];
        var sightings = new CatalogObservation[Rows];
        var random = new Random(1);
        for (int i = 0; i < Rows; i++)
        {
            var fp = new Fingerprint((ulong)random.NextInt64() ^ (ulong)i);
            double accuracy = random.NextDouble();
            candidates[i] = new CandidateRecord(job.Id, i, i / 100, $"x * sigmoid({i} * x)", genome, fp, i == 0 ? [] : [i - 1], "mutate");
            outcomes[i] = new OutcomeRecord.Evaluated(job.Id, i, TimeSpan.FromSeconds(3));
            scores[2 * i] = new ScoreRecord(job.Id, i, "accuracy", "fmnist-cnn", accuracy, 1, "cpu", 3000);
            scores[2 * i + 1] = new ScoreRecord(job.Id, i, "flops", null, 1e6 + i, 1, "cpu", 0);
            sightings[i] = new CatalogObservation(fp, candidates[i].Formula, job.Id, i, [new ObservedScore("accuracy", "fmnist-cnn", accuracy, ScoreGoal.Maximize)]);
        }

        var clock = Stopwatch.StartNew();
        await _storage.WriteAsync(new StorageBatch { Candidates = candidates, Outcomes = outcomes, Scores = scores });
        var write = clock.Elapsed;
        clock.Restart();
        await _storage.Catalog.RecordAsync(sightings);
        var catalog = clock.Elapsed;
        await using (var analyze = _storage.DataSource.CreateCommand("ANALYZE")) await analyze.ExecuteNonQueryAsync();

        var times = new List<double>();
        List<CatalogEntry> top = [];
        for (int i = 0; i < 21; i++)
        {
            clock.Restart();
            top = await _storage.Catalog.TopAsync("accuracy", "fmnist-cnn", 50);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Assert.Equal(50, top.Count);
        Assert.True(top[0].Score("accuracy", "fmnist-cnn")!.Best >= top[^1].Score("accuracy", "fmnist-cnn")!.Best);
        Assert.Equal(Rows, (await _storage.Candidates.ListAsync(job.Id, generation: null)).Count);

        await using var plan = _storage.DataSource.CreateCommand("""
            EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT c.fingerprint FROM catalog c
            JOIN catalog_scores s ON s.fingerprint = c.fingerprint AND s.objective = 'accuracy' AND s.task = 'fmnist-cnn'
            ORDER BY s.best DESC, s.fingerprint DESC LIMIT 50
            """);
        var lines = new List<string>();
        await using (var r = await plan.ExecuteReaderAsync())
            while (await r.ReadAsync()) lines.Add(r.GetString(0));

        output.WriteLine($"write {Rows:N0} candidates + {Rows:N0} outcomes + {2 * Rows:N0} scores in one COPY transaction: {write.TotalSeconds:F2} s");
        output.WriteLine($"catalog upsert of {Rows:N0} functions: {catalog.TotalSeconds:F2} s");
        output.WriteLine($"top 50 by accuracy on a task at {Rows:N0} catalog rows (with scores loaded): median {times[10]:F2} ms, min {times[0]:F2} ms, max {times[^1]:F2} ms");
        output.WriteLine("plan: " + string.Join(" / ", lines));
    }
}
