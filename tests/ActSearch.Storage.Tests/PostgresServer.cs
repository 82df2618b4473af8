using Npgsql;

namespace ActSearch.Storage.Tests;

/// <summary>
/// ONE throwaway PostgreSQL for the whole test run: the server named by ACTSEARCH_TEST_DB (an admin connection
/// string, e.g. from scripts/pg-test-server.sh) or an <see cref="EmbeddedPostgres"/> in a temporary directory,
/// non-durable for speed and on loopback TCP so password checks are real. Each test makes its own database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private EmbeddedPostgres? _embedded;
    private string? _tempDir;

    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("ACTSEARCH_TEST_DB") is { Length: > 0 } external)
        {
            AdminConnectionString = external;
            return;
        }
        _tempDir = TempDir.Create("pgtest");
        _embedded = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(_tempDir, "data"),
            Durable = false,
            UseTcp = true,
        });
        AdminConnectionString = _embedded.AdminConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_embedded is not null) await _embedded.DisposeAsync();
        if (_tempDir is not null) TempDir.Delete(_tempDir);
    }

    /// <summary>A new empty database, dropped on dispose.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync()
    {
        string name = "t_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(AdminConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        return new TestDatabase(this, name, cs);
    }

    internal async Task DropAsync(string name)
    {
        await using var c = new NpgsqlConnection(AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }
}

public sealed class TestDatabase(PostgresServer server, string name, string connectionString) : IAsyncDisposable
{
    public string Name => name;

    public string ConnectionString => connectionString;

    /// <summary>Storage on this database; fast retries so failure tests stay quick.</summary>
    public Task<ActSearchStorage> OpenAsync(RetryOptions? retry = null) => ActSearchStorage.OpenAsync(new StorageOptions
    {
        ConnectionString = connectionString,
        Retry = retry ?? new RetryOptions { MaxAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(20) },
    });

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await server.DropAsync(name);
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

/// <summary>Base of tests that each get a fresh, migrated database.</summary>
[Collection(PostgresCollection.Name)]
public abstract class DatabaseTest(PostgresServer server) : IAsyncLifetime
{
    protected PostgresServer Server => server;

    protected TestDatabase Database { get; private set; } = null!;

    protected ActSearchStorage Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await server.CreateDatabaseAsync();
        Storage = await Database.OpenAsync();
    }

    public async Task DisposeAsync()
    {
        await Storage.DisposeAsync();
        await Database.DisposeAsync();
    }
}

internal static class TempDir
{
    // Short paths under /tmp: Unix socket paths are limited to ~100 bytes, and everyone can traverse /tmp.
    public static string Create(string prefix)
    {
        string dir = Path.Combine("/tmp", $"as-{prefix}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
