using Npgsql;

namespace ActSearch.Storage;

/// <summary>Where storage lives and how patient it is (hosts build it from their validated settings).</summary>
public sealed record StorageOptions
{
    /// <summary>A PostgreSQL connection string; null starts (or reuses) the embedded server.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Settings of the embedded server, used when <see cref="ConnectionString"/> is null (one of the two is needed).</summary>
    public EmbeddedPostgresOptions? Embedded { get; init; }

    public RetryOptions Retry { get; init; } = RetryOptions.Default;

    /// <summary>Apply pending schema migrations on open (on by default; off for read-only tools against a managed database).</summary>
    public bool Migrate { get; init; } = true;

    /// <summary>
    /// Most connections this process holds open (Npgsql's pool), unless the connection string sets its own. Keep it well
    /// below the server's <c>max_connections</c> (100 by default), which every process of the cluster shares.
    /// </summary>
    public int MaxPoolSize { get; init; } = 32;

    /// <summary>How long an idle pooled connection is kept before it is closed (Npgsql's default is 5 minutes).</summary>
    public TimeSpan ConnectionIdleLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The connection string the data source uses: <paramref name="connectionString"/> with the pool settings it does not set itself.</summary>
    public string WithPoolSettings(string connectionString)
    {
        // Npgsql's builder answers ContainsKey for every keyword it knows; the plain one knows only what the text sets.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("MAXIMUMPOOLSIZE") && !given.Contains("MAXPOOLSIZE")) b.MaxPoolSize = MaxPoolSize;
        if (!given.Contains("CONNECTIONIDLELIFETIME")) b.ConnectionIdleLifetime = (int)Math.Ceiling(ConnectionIdleLifetime.TotalSeconds);
        return b.ConnectionString;
    }
}

/// <summary>
/// ActSearch's storage: one <see cref="NpgsqlDataSource"/> and the repositories over it. Open it once per process
/// with <see cref="OpenAsync"/>; it migrates the schema and, without a connection string, starts the embedded server
/// (stopped again on dispose).
/// <para>
/// Durability: every write is synchronous. A write method returns only after its transaction committed, so a
/// write that returned (was acknowledged) survives any later crash; one that threw stored nothing, and the caller
/// still holds the data to try again. Transient failures are retried with backoff inside the call, and every
/// write is idempotent, so a retry after a commit whose answer was lost adds nothing twice. Hosts that want
/// write-behind put their own queue in front and drop an item only after its write returned.
/// </para>
/// </summary>
public sealed class ActSearchStorage : IAsyncDisposable
{
    private readonly Db _db;

    private ActSearchStorage(NpgsqlDataSource source, RetryOptions retry, EmbeddedPostgres? server)
    {
        _db = new Db(source, retry);
        Server = server;
        Jobs = new JobRepository(_db);
        Candidates = new CandidateRepository(_db);
        Fronts = new FrontRepository(_db);
        Checkpoints = new CheckpointRepository(_db);
        Catalog = new CatalogRepository(_db);
        HeldOut = new HeldOutRepository(_db);
        Predictions = new PredictionRepository(_db);
        Features = new FeatureRepository(_db);
    }

    public JobRepository Jobs { get; }

    public CandidateRepository Candidates { get; }

    public FrontRepository Fronts { get; }

    public CheckpointRepository Checkpoints { get; }

    public CatalogRepository Catalog { get; }

    /// <summary>Each job's latest held-out evaluation (saved by <c>actsearch report</c>, shown by the web UI).</summary>
    public HeldOutRepository HeldOut { get; }

    /// <summary>Surrogate predictions per candidate (a job whose space has <c>surrogate:</c>).</summary>
    public PredictionRepository Predictions { get; }

    /// <summary>Feature vectors kept per function (a surrogate's Fisher spectra), across jobs.</summary>
    public FeatureRepository Features { get; }

    /// <summary>The shared data source, for hosts that need SQL of their own (health checks, reports).</summary>
    public NpgsqlDataSource DataSource => _db.Source;

    /// <summary>The embedded server this instance started or reused; null with a configured connection string.</summary>
    public EmbeddedPostgres? Server { get; }

    /// <summary>Where the data is, without the password: "socket /path/5432/actsearch as user".</summary>
    public string Description => StorageException.Describe(_db.Source.ConnectionString);

    /// <summary>
    /// Connects (starting the embedded server when no connection string is set), checks the connection, and applies
    /// pending migrations. Failures are <see cref="StorageException"/>s with a one-line message.
    /// </summary>
    /// <exception cref="ArgumentException">The options have neither a connection string nor an embedded server.</exception>
    public static async Task<ActSearchStorage> OpenAsync(StorageOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ConnectionString is null && options.Embedded is null)
            throw new ArgumentException("Storage needs a connection string or an embedded server's options.", nameof(options));
        EmbeddedPostgres? server = null;
        string connectionString = options.ConnectionString
            ?? (server = await EmbeddedPostgres.StartAsync(options.Embedded!, cancellation).ConfigureAwait(false)).ConnectionString;
        NpgsqlDataSource source;
        try
        {
            source = NpgsqlDataSource.Create(options.WithPoolSettings(connectionString));
        }
        catch (ArgumentException e)
        {
            if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
            throw StorageException.From(e, null);
        }
        var storage = new ActSearchStorage(source, options.Retry, server);
        try
        {
            await storage._db.ReadAsync(async (c, ct) =>
            {
                if (options.Migrate) await Migrator.MigrateAsync(c, ct).ConfigureAwait(false);
                return true;
            }, cancellation).ConfigureAwait(false);
            return storage;
        }
        catch
        {
            await storage.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Writes a whole batch in one transaction: all of it is stored, or (after an exception) none of it.</summary>
    public Task WriteAsync(StorageBatch batch, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty) return Task.CompletedTask;
        return _db.InTransactionAsync(async (c, tx, ct) =>
        {
            await CandidateRepository.WriteCandidatesAsync(c, batch.Candidates, ct).ConfigureAwait(false);
            await CandidateRepository.WriteOutcomesAsync(c, batch.Outcomes, ct).ConfigureAwait(false);
            await CandidateRepository.WriteScoresAsync(c, batch.Scores, ct).ConfigureAwait(false);
            if (batch.Front is { } front) await FrontRepository.WriteAsync(c, tx, front, ct).ConfigureAwait(false);
            if (batch.Checkpoint is { } checkpoint) await CheckpointRepository.WriteAsync(c, tx, checkpoint, ct).ConfigureAwait(false);
            await CatalogRepository.WriteAsync(c, tx, batch.Catalog, ct).ConfigureAwait(false);
        }, cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        await _db.Source.DisposeAsync().ConfigureAwait(false);
        if (Server is not null) await Server.DisposeAsync().ConfigureAwait(false);
    }
}
