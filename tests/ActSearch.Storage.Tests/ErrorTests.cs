using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ActSearch.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class ErrorTests(PostgresServer server)
{
    private static readonly RetryOptions Quick = new() { MaxAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(10) };

    [Fact]
    public async Task Wrong_password_is_one_clear_line_without_the_password()
    {
        var b = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Password = "not-the-password-123" };
        if (b.Host?.StartsWith('/') == true) return; // a socket server trusts its owner: no password to get wrong

        var e = await Assert.ThrowsAsync<StorageException>(() => ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = b.ConnectionString, Retry = Quick }));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("refused the password", e.Message, StringComparison.Ordinal);
        Assert.Contains("ACTSEARCH_DB", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-123", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Unreachable_server_is_retried_then_one_clear_line()
    {
        int port = ClosedPort();
        string cs = $"Host=127.0.0.1;Port={port};Username=actsearch;Password=secret-pw;Database=actsearch;Timeout=2";

        var e = await Assert.ThrowsAsync<StorageException>(() => ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = cs, Retry = Quick }));

        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith($"Cannot reach PostgreSQL at 127.0.0.1:{port}/actsearch", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", e.Message, StringComparison.Ordinal);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task Malformed_connection_string_is_one_clear_line()
    {
        var e = await Assert.ThrowsAsync<StorageException>(() => ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = "Hots=x;;=", Retry = Quick }));
        Assert.Contains("connection string is not valid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried_transparently()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var storage = await db.OpenAsync();
        var job = Samples.Job();
        await storage.Jobs.CreateAsync(job);

        // The server ends every session of this database (as a restart or failover would); the pool does not know yet.
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", admin)
            {
                Parameters = { new() { Value = db.Name } },
            };
            Assert.True((long)(await kill.ExecuteScalarAsync())! >= 1);
        }

        Assert.Equal(job, await storage.Jobs.GetAsync(job.Id));
    }

    private static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port; // closed again when disposed: nothing listens there
    }
}

public sealed class PoolSettingsTests
{
    [Fact]
    public void The_pool_is_bounded_and_idle_connections_close_unless_the_connection_string_says_otherwise()
    {
        var options = new StorageOptions { MaxPoolSize = 12, ConnectionIdleLifetime = TimeSpan.FromSeconds(30) };

        var plain = new Npgsql.NpgsqlConnectionStringBuilder(options.WithPoolSettings("Host=db;Username=u"));
        Assert.Equal((12, 30), (plain.MaxPoolSize, plain.ConnectionIdleLifetime));

        var own = new Npgsql.NpgsqlConnectionStringBuilder(options.WithPoolSettings("Host=db;Username=u;Maximum Pool Size=7;Connection Idle Lifetime=5"));
        Assert.Equal((7, 5), (own.MaxPoolSize, own.ConnectionIdleLifetime));
    }
}
