using System.Collections.Immutable;
using System.Diagnostics;
using ActSearch.Evolution;
using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace ActSearch.Grains.Tests;

/// <summary>
/// A job rides out its database going away: a private PostgreSQL server (its own data directory, so stopping it disturbs
/// no other test) is stopped as a crash stops it (<c>SIGQUIT</c>: immediate shutdown) in the middle of a job, twice, for
/// 20 s and for 2 minutes, and started again.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("actsearch-outage-").FullName;
    private EmbeddedPostgresOptions _server = null!;
    private readonly List<EmbeddedPostgres> _started = [];
    private ActSearchStorage _storage = null!;
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        // Durable: a crash must not take back commits it acknowledged (without fsync and synchronous commit, the outcomes
        // written just before it are lost, and the test would blame the job for the server's settings).
        _server = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(_root, "pg"), Durable = true };
        var pg = await EmbeddedPostgres.StartAsync(_server);
        _started.Add(pg);
        _storage = await ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = pg.ConnectionString });
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.AssumeHomogenousSilosForTesting = false;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            bool coordinator = options.SiloName == ClusterFixture.CoordinatorName;
            if (coordinator) silo.AddPostgresJobStore(_storage);
            silo.AddActSearchGrains(coordinator ? SiloRoles.Coordinator : SiloRoles.Worker, w => w.Slots = 2);
            silo.Services.AddSingleton<ICandidateScorer, ScriptedScorer>();
            silo.Services.Configure<SearchJobOptions>(o =>
            {
                o.TickInterval = TimeSpan.FromMilliseconds(200);
                o.StorageOutageWindow = TimeSpan.FromMinutes(5);
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _storage.DisposeAsync();
        foreach (var pg in _started) await pg.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_job_rides_out_outages_of_20_seconds_and_2_minutes_and_ends_with_one_outcome_per_candidate_and_its_stored_state()
    {
        var id = Guid.NewGuid();
        ScriptedScorer.Scripts[id] = new Script { Delay = TimeSpan.FromMilliseconds(250) };
        var job = _cluster.Client.GetGrain<ISearchJobGrain>(id);
        await job.Submit(TestSpaces.Spec(budget: 96));
        var store = new PostgresJobStore(_storage);

        foreach (var (outage, scoredBefore) in new[] { (TimeSpan.FromSeconds(20), 8), (TimeSpan.FromMinutes(2), 40) })
        {
            // Crash while a candidate is being trained (250 ms each), so that its outcome arrives during the outage: at a
            // generation boundary nothing may be out (the job hands nothing out before its checkpoint is stored).
            var before = await job.Until(s => s.Scored >= scoredBefore && ScriptedScorer.Active(id) > 0, TimeSpan.FromSeconds(60));
            Assert.Equal(JobState.Running, before.State);
            await CrashServerAsync();
            await Task.Delay(outage);

            // The candidates that were at workers have reported; their outcomes wait in the grain, counted in flight, and
            // the job, stored as running, still says running.
            Assert.Equal(0, ScriptedScorer.Active(id));
            var during = await job.GetStatus();
            Assert.Equal(JobState.Running, during.State);
            Assert.True(during.InFlight > 0, $"outcomes waiting for the database count as in flight (in flight: {during.InFlight})");

            await StartServerAsync();
            var stored = await store.LoadJobAsync(id);
            Assert.Equal(JobState.Running, stored!.State);
        }

        var done = await job.UntilFinal(TimeSpan.FromSeconds(90));
        Assert.Equal(JobState.Finished, done.State);
        Assert.Null(done.Error);
        var row = await store.LoadJobAsync(id);
        Assert.Equal(JobState.Finished, row!.State); // the grain's state is the stored one

        // One outcome for every candidate the engine made (ids 0..n-1), and none trained twice.
        var outcomes = await store.LoadOutcomesAsync(id);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id));
        Assert.Equal(done.Scored + done.Cancelled + done.CacheHits, outcomes.Count);
        Assert.True(done.Evaluated + done.Rejected + done.Failed >= 96 - 2, $"the budget was spent: {done.Scored} scored");
        var trained = ScriptedScorer.Calls[id].Select(c => c.Candidate).ToList();
        Assert.Equal(trained.Count, trained.Distinct().Count());
        Assert.Equal(0, done.Failed);
    }

    /// <summary>Stops the server as a crash would: immediate shutdown, no checkpoint, every connection cut.</summary>
    private async Task CrashServerAsync()
    {
        int pid = int.Parse(File.ReadLines(Path.Combine(_server.DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        using (var kill = Process.Start("kill", ["-QUIT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await Waiting.Until(() => !Directory.Exists($"/proc/{pid}"), "the crashed server's process is gone", TimeSpan.FromSeconds(30));
    }

    private async Task StartServerAsync() => _started.Add(await EmbeddedPostgres.StartAsync(_server));
}

/// <summary>
/// A database away for longer than <see cref="SearchJobOptions.StorageOutageWindow"/>: the job lets go of what it holds
/// and deactivates, and the supervisor resumes it from the store once the database answers again.
/// </summary>
public sealed class StorageOutageWindowTests : IAsyncLifetime
{
    private readonly FlakyJobStore _store = new();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await OneSilo.StartAsync(_store, o =>
    {
        o.StorageOutageWindow = TimeSpan.FromSeconds(1);
        o.WakeInterval = TimeSpan.FromMilliseconds(500);
    });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Past_the_window_the_job_lets_go_and_the_supervisor_resumes_it_from_the_store_when_the_database_is_back()
    {
        var id = Guid.NewGuid();
        ScriptedScorer.Scripts[id] = new Script { Delay = TimeSpan.FromMilliseconds(50) };
        var job = _cluster.Client.GetGrain<ISearchJobGrain>(id);
        await job.Submit(TestSpaces.Spec(budget: 64));
        await job.Until(s => s.Generation >= 2);

        _store.Down = true;
        // Let go: the grain deactivates, and activating it again fails while the store is down.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await LetGoAsync(job))
        {
            Assert.True(DateTime.UtcNow < deadline, "the job grain let go within 30 s of the database going away");
            await Task.Delay(50);
        }
        long recordedWhileDown = (await _store.Inner.LoadOutcomesAsync(id)).Count;

        _store.Down = false;
        var done = await job.UntilFinal(TimeSpan.FromSeconds(60)); // woken by the supervisor (or by this call) from the store
        Assert.Equal(JobState.Finished, done.State);
        var outcomes = await _store.Inner.LoadOutcomesAsync(id);
        Assert.True(outcomes.Count > recordedWhileDown);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id));
        Assert.Equal(0, _store.Inner.DuplicateOutcomes);
        Assert.Equal(JobState.Finished, (await _store.Inner.LoadJobAsync(id))!.State);
    }

    /// <summary>The grain answers as an unknown job while it lets go, and cannot activate while the store is down.</summary>
    private static async Task<bool> LetGoAsync(ISearchJobGrain job)
    {
        try
        {
            var s = await job.GetStatus();
            return s.State == JobState.Queued && s.Objectives.IsDefaultOrEmpty;
        }
        catch (JobStoreUnavailableException)
        {
            return true;
        }
    }
}

/// <summary>
/// A coordinator with <see cref="SearchJobOptions.WakeUnfinishedJobs"/> off (what <c>actsearch run</c> uses) leaves the
/// store's other unfinished jobs alone; one of them still resumes when something asks for it.
/// </summary>
public sealed class NoWakingTests : IAsyncLifetime
{
    private readonly InMemoryJobStore _store = new();
    private readonly Guid _waiting = Guid.NewGuid();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        // A job another process left running in a shared store.
        await _store.SaveJobAsync(new JobRecord(_waiting, TestSpaces.Spec(budget: 16), JobState.Running, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow));
        _cluster = await OneSilo.StartAsync(_store, o =>
        {
            o.WakeInterval = TimeSpan.FromMilliseconds(100);
            o.WakeUnfinishedJobs = false;
        });
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Other_unfinished_jobs_are_not_continued_until_something_asks_for_them()
    {
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // fifteen wake intervals
        Assert.False(ScriptedScorer.Calls.ContainsKey(_waiting), "the supervisor woke a job it was told to leave alone");
        Assert.Empty(await _store.LoadOutcomesAsync(_waiting));

        var done = await _cluster.Client.GetGrain<ISearchJobGrain>(_waiting).UntilFinal(TimeSpan.FromSeconds(60)); // asked: it resumes
        Assert.Equal(JobState.Finished, done.State);
    }
}

/// <summary>
/// A cancel that was answered holds across a coordinator restart. The request is stored before the job's outcomes (a
/// generation of thousands cancelled takes turns to write), so a coordinator that stops before they are written (here
/// their writes fail, then the cluster goes away) leaves a job that ends cancelled when it is activated again, instead of
/// resuming the search the user cancelled.
/// </summary>
public sealed class CancelAcrossRestartTests
{
    [Fact]
    public async Task A_cancel_is_stored_before_its_outcomes_and_the_next_coordinator_ends_the_job_cancelled_without_training_more()
    {
        var store = new FlakyJobStore();
        var id = Guid.NewGuid();
        ScriptedScorer.Scripts[id] = new Script { Delay = TimeSpan.FromMilliseconds(200) };
        await using (var first = await OneSilo.StartAsync(store, o => o.StorageOutageWindow = TimeSpan.FromMinutes(5)))
        {
            var job = first.Client.GetGrain<ISearchJobGrain>(id);
            await job.Submit(TestSpaces.Spec(budget: 400));
            await job.Until(s => s.Scored >= 6 && s.InFlight > 0);
            store.OutcomesDown = true;
            var refused = await Assert.ThrowsAsync<JobStoreUnavailableException>(() => job.Cancel());
            Assert.Contains("stored as cancelled once the database is back", refused.Message, StringComparison.Ordinal);
            var stored = await store.Inner.LoadJobAsync(id);
            Assert.Equal(JobState.Running, stored!.State);
            Assert.NotNull(stored.CancelRequestedAt);
        }
        store.OutcomesDown = false;
        int trained = ScriptedScorer.Calls[id].Count;

        await using var second = await OneSilo.StartAsync(store, _ => { });
        var done = await second.Client.GetGrain<ISearchJobGrain>(id).UntilFinal(TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.Equal(JobState.Cancelled, (await store.Inner.LoadJobAsync(id))!.State);
        Assert.Equal(trained, ScriptedScorer.Calls[id].Count); // nothing was handed out after the restart
        var outcomes = await store.Inner.LoadOutcomesAsync(id);
        Assert.Equal(Enumerable.Range(0, outcomes.Count).Select(i => (long)i), outcomes.Select(o => o.Candidate.Id));
        Assert.Equal(0, store.Inner.DuplicateOutcomes);
        Assert.True(done.Scored < 400, $"scored {done.Scored}: the job ran on to its budget");
    }
}

/// <summary>A cluster of one silo in both roles, on the given store, scoring with <see cref="ScriptedScorer"/> (2 slots, 100 ms ticks).</summary>
internal static class OneSilo
{
    public static async Task<InProcessTestCluster> StartAsync(IJobStore store, Action<SearchJobOptions> options)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(store);
            silo.AddActSearchGrains(SiloRoles.All, w => w.Slots = 2);
            silo.Services.AddSingleton<ICandidateScorer, ScriptedScorer>();
            silo.Services.Configure<SearchJobOptions>(o =>
            {
                o.TickInterval = TimeSpan.FromMilliseconds(100);
                options(o);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

/// <summary>
/// The in-memory store with switches: while <see cref="Down"/>, every call fails as an unreachable database does; while
/// <see cref="OutcomesDown"/>, only the writes of outcomes do; every checkpoint write takes <see cref="CheckpointDelay"/>
/// (a large state written to a slow database) and is counted.
/// </summary>
internal sealed class FlakyJobStore : IJobStore
{
    public InMemoryJobStore Inner { get; } = new();

    public volatile bool Down;

    public volatile bool OutcomesDown;

    public TimeSpan CheckpointDelay { get; init; }

    private int _checkpoints;
    private int _fronts;

    /// <summary>Checkpoints and fronts written (of every job).</summary>
    public (int Checkpoints, int Fronts) Writes => (Volatile.Read(ref _checkpoints), Volatile.Read(ref _fronts));

    private Task Check() => Down
        ? Task.FromException(new StorageException("Cannot reach PostgreSQL (test: the database is down).", new TimeoutException()))
        : Task.CompletedTask;

    public async Task SaveJobAsync(JobRecord job, ResolvedJob? resolved = null, CancellationToken cancellation = default)
    {
        await Check();
        await Inner.SaveJobAsync(job, resolved, cancellation);
    }

    public async Task<JobRecord?> LoadJobAsync(Guid jobId, CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.LoadJobAsync(jobId, cancellation);
    }

    public async Task<IReadOnlyList<Guid>> ListUnfinishedJobsAsync(CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.ListUnfinishedJobsAsync(cancellation);
    }

    public async Task SaveCheckpointAsync(Guid jobId, int generation, string engineStateJson, CancellationToken cancellation = default)
    {
        await Check();
        if (CheckpointDelay > TimeSpan.Zero) await Task.Delay(CheckpointDelay, cancellation);
        await Inner.SaveCheckpointAsync(jobId, generation, engineStateJson, cancellation);
        Interlocked.Increment(ref _checkpoints);
    }

    public Task PrepareAsync(CancellationToken cancellation = default) => Inner.PrepareAsync(cancellation);

    public async Task<JobCheckpoint?> LoadLatestCheckpointAsync(Guid jobId, CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.LoadLatestCheckpointAsync(jobId, cancellation);
    }

    public async Task SaveFrontAsync(Guid jobId, int generation, ImmutableArray<Objective> objectives, ImmutableArray<FrontEntry> front, CancellationToken cancellation = default)
    {
        await Check();
        await Inner.SaveFrontAsync(jobId, generation, objectives, front, cancellation);
        Interlocked.Increment(ref _fronts);
    }

    private Task CheckOutcomes() => OutcomesDown
        ? Task.FromException(new StorageException("Cannot reach PostgreSQL (test: outcome writes fail).", new TimeoutException()))
        : Check();

    public async Task<bool> RecordOutcomeAsync(Guid jobId, Candidate candidate, CandidateOutcome outcome, TimeSpan spent = default, bool cached = false, CancellationToken cancellation = default)
    {
        await CheckOutcomes();
        return await Inner.RecordOutcomeAsync(jobId, candidate, outcome, spent, cached, cancellation);
    }

    public async Task RecordCancelledAsync(Guid jobId, IReadOnlyList<Candidate> candidates, CancellationToken cancellation = default)
    {
        await CheckOutcomes();
        await Inner.RecordCancelledAsync(jobId, candidates, cancellation);
    }

    public async Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesAsync(Guid jobId, long fromCandidateId = 0, CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.LoadOutcomesAsync(jobId, fromCandidateId, cancellation);
    }

    public async Task<IReadOnlyList<RecordedOutcome>> LoadOutcomesInRecordedOrderAsync(Guid jobId, CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.LoadOutcomesInRecordedOrderAsync(jobId, cancellation);
    }

    public async Task<IReadOnlyList<MeasuredFunction>> LoadMeasuredAsync(Objective objective, int count, CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.LoadMeasuredAsync(objective, count, cancellation);
    }

    public async Task RecordPredictionsAsync(Guid jobId, IReadOnlyList<CandidatePrediction> predictions, CancellationToken cancellation = default)
    {
        await Check();
        await Inner.RecordPredictionsAsync(jobId, predictions, cancellation);
    }

    public async Task SaveFeaturesAsync(FeatureKey key, IReadOnlyList<FunctionFeatures> features, CancellationToken cancellation = default)
    {
        await Check();
        await Inner.SaveFeaturesAsync(key, features, cancellation);
    }

    public async Task<IReadOnlyList<FunctionFeatures>> LoadFeaturesAsync(FeatureKey key, int count, CancellationToken cancellation = default)
    {
        await Check();
        return await Inner.LoadFeaturesAsync(key, count, cancellation);
    }
}
