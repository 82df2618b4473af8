using Npgsql;

namespace ActSearch.Storage;

/// <summary>One schema change: its version (the number its file name starts with), its name and its SQL.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Brings a database to the newest schema with the SQL scripts embedded in this assembly
/// (<c>Migrations/NNNN_name.sql</c>), each applied once and recorded in <c>schema_migrations</c>.
/// Everything runs in one transaction under a transaction-scoped advisory lock, so two processes starting at
/// once apply each script exactly once (the second waits, then finds nothing to do), and a failed script
/// leaves the schema as it was.
/// </summary>
public static class Migrator
{
    // Any fixed 64-bit number that other applications sharing the database are unlikely to use: "ActSrch1".
    private const long LockKey = 0x4163745372636831;

    public static IReadOnlyList<Migration> Embedded { get; } = Load();

    /// <summary>Applies the migrations not applied yet; returns the versions it applied (none when up to date).</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(NpgsqlConnection connection, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var tx = await connection.BeginTransactionAsync(cancellation).ConfigureAwait(false);
        await Exec(connection, tx, $"SELECT pg_advisory_xact_lock({LockKey})", cancellation).ConfigureAwait(false);
        // Created under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalogs.
        await Exec(connection, tx, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, cancellation).ConfigureAwait(false);
        var applied = new HashSet<int>();
        await using (var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations", connection, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellation).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellation).ConfigureAwait(false)) applied.Add(reader.GetInt32(0));

        int newest = Embedded.Count == 0 ? 0 : Embedded[^1].Version;
        if (applied.Count > 0 && applied.Max() > newest)
            throw new StorageException($"The database has schema version {applied.Max()}, newer than this ActSearch knows ({newest}); upgrade ActSearch.");

        var done = new List<int>();
        foreach (var m in Embedded)
        {
            if (applied.Contains(m.Version)) continue;
            await Exec(connection, tx, m.Sql, cancellation).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", connection, tx)
            {
                Parameters = { new() { Value = m.Version }, new() { Value = m.Name } },
            };
            await record.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
            done.Add(m.Version);
        }
        await tx.CommitAsync(cancellation).ConfigureAwait(false);
        return done;
    }

    private static async Task Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static List<Migration> Load()
    {
        var asm = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (string resource in asm.GetManifestResourceNames())
        {
            if (!resource.StartsWith("Migrations/", StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal)) continue;
            string file = resource["Migrations/".Length..^".sql".Length];
            int underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file[..underscore], out int version))
                throw new InvalidOperationException($"Migration '{resource}' must be named NNNN_name.sql.");
            using var stream = asm.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(version, file[(underscore + 1)..], reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < list.Count; i++)
            if (list[i].Version == list[i - 1].Version) throw new InvalidOperationException($"Two migrations have version {list[i].Version}.");
        return list;
    }
}
