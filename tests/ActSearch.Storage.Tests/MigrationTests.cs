using Npgsql;

namespace ActSearch.Storage.Tests;

[Collection(PostgresCollection.Name)]
public sealed class MigrationTests(PostgresServer server)
{
    [Fact]
    public async Task Migrating_twice_applies_each_script_once()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var c = new NpgsqlConnection(db.ConnectionString);
        await c.OpenAsync();

        var first = await Migrator.MigrateAsync(c);
        var second = await Migrator.MigrateAsync(c);

        Assert.Equal(Migrator.Embedded.Select(m => m.Version), first);
        Assert.Empty(second);
        Assert.Equal(Migrator.Embedded.Select(m => m.Version), await AppliedAsync(c));
    }

    [Fact]
    public async Task Concurrent_migrators_do_not_race()
    {
        await using var db = await server.CreateDatabaseAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var c = new NpgsqlConnection(db.ConnectionString);
            await c.OpenAsync();
            return await Migrator.MigrateAsync(c);
        }));

        // Exactly one of them applied the scripts; the others waited on the lock and found nothing to do.
        Assert.Single(results, r => r.Count > 0);
        await using var check = new NpgsqlConnection(db.ConnectionString);
        await check.OpenAsync();
        Assert.Equal(Migrator.Embedded.Select(m => m.Version), await AppliedAsync(check));
    }

    [Fact]
    public async Task Opening_storage_on_a_database_from_a_newer_version_fails_clearly()
    {
        await using var db = await server.CreateDatabaseAsync();
        await (await db.OpenAsync()).DisposeAsync();
        await using (var c = new NpgsqlConnection(db.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<StorageException>(() => db.OpenAsync());
        Assert.Contains("upgrade ActSearch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_scripts_are_numbered_from_one_without_gaps()
    {
        Assert.Equal(Enumerable.Range(1, Migrator.Embedded.Count), Migrator.Embedded.Select(m => m.Version));
        Assert.Equal("initial", Migrator.Embedded[0].Name);
    }

    private static async Task<List<int>> AppliedAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", c);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<int>();
        while (await r.ReadAsync()) list.Add(r.GetInt32(0));
        return list;
    }
}
