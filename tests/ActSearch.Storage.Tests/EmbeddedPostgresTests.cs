using System.Diagnostics;
using System.Globalization;

namespace ActSearch.Storage.Tests;

/// <summary>The embedded server: each test starts its own in a temporary directory (non-durable for speed).</summary>
[Collection(PostgresCollection.Name)] // serialized with the rest: the machine has two cores
public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _home = TempDir.Create("emb");

    public void Dispose() => TempDir.Delete(_home);

    private EmbeddedPostgresOptions Options(RootStrategy root = RootStrategy.Auto) =>
        new() { DataDirectory = Path.Combine(_home, "postgres"), Durable = false, WhenRoot = root };

    private StorageOptions Storage(RootStrategy root = RootStrategy.Auto) => new() { Embedded = Options(root) };

    [Fact]
    public async Task Data_survives_a_stop_and_a_second_start()
    {
        var job = Samples.Job();
        await using (var first = await ActSearchStorage.OpenAsync(Storage()))
        {
            Assert.StartsWith("socket ", first.Description, StringComparison.Ordinal); // private socket, no TCP
            await first.Jobs.CreateAsync(job);
        }
        Assert.False(File.Exists(Path.Combine(_home, "postgres", "postmaster.pid"))); // stopped on dispose

        await using var second = await ActSearchStorage.OpenAsync(Storage());
        Assert.Equal(job, await second.Jobs.GetAsync(job.Id));
    }

    [Fact]
    public async Task ActSearch_signs_in_as_a_plain_role_that_owns_its_database_and_cannot_read_the_servers_files()
    {
        await using (var server = await EmbeddedPostgres.StartAsync(Options()))
        {
            // What a data directory from before the application role looks like: tables the superuser made and owns.
            await using var old = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = "actsearch" }.ConnectionString);
            await old.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand("CREATE TABLE made_by_superuser (id bigserial PRIMARY KEY, note text)", old);
            await create.ExecuteNonQueryAsync();
        }

        await using var again = await EmbeddedPostgres.StartAsync(Options());
        await using var storage = await ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = again.ConnectionString }); // migrations run as the role
        await storage.Jobs.CreateAsync(Samples.Job());
        await using var app = new Npgsql.NpgsqlConnection(again.ConnectionString);
        await app.OpenAsync();
        Assert.Equal("actsearch_app", await ScalarAsync(app, "SELECT current_user"));
        Assert.Equal(false, await ScalarAsync(app, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal("actsearch_app", await ScalarAsync(app, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"));
        Assert.Equal(1L, await ScalarAsync(app, "WITH n AS (INSERT INTO made_by_superuser (note) VALUES ('handed over') RETURNING id) SELECT count(*) FROM n"));
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ScalarAsync(app, "SELECT pg_read_file('PG_VERSION')"));
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);

        static async Task<object?> ScalarAsync(Npgsql.NpgsqlConnection c, string sql)
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, c);
            return await command.ExecuteScalarAsync();
        }
    }

    [Fact]
    public async Task A_stale_pid_file_after_a_crash_does_not_block_the_next_start()
    {
        await (await EmbeddedPostgres.StartAsync(Options())).DisposeAsync();
        // What a crashed server leaves: postmaster.pid naming a process that is gone (or now something else).
        int dead = DeadPid();
        await File.WriteAllTextAsync(Path.Combine(_home, "postgres", "postmaster.pid"),
            $"{dead}\n{Path.Combine(_home, "postgres")}\n1700000000\n5432\n{Path.Combine(_home, "postgres")}\n\n  5432001  1\nready   \n");

        await using var server = await EmbeddedPostgres.StartAsync(Options());
        await using var storage = await ActSearchStorage.OpenAsync(new StorageOptions { ConnectionString = server.ConnectionString });
        Assert.Empty(await storage.Jobs.ListAsync());
    }

    [Fact]
    public async Task A_server_left_running_by_a_killed_process_is_adopted_and_then_stopped()
    {
        var orphan = await EmbeddedPostgres.StartAsync(Options());
        // Its owner "died" (kill -9 skips dispose, and the daemonized server stays up).
        await File.WriteAllTextAsync(Path.Combine(_home, "postgres.owner"), DeadPid().ToString(CultureInfo.InvariantCulture));
        string pidFile = Path.Combine(_home, "postgres", "postmaster.pid");
        string pid = File.ReadLines(pidFile).First();

        await using (var adopted = await EmbeddedPostgres.StartAsync(Options()))
        {
            Assert.Equal(pid, File.ReadLines(pidFile).First()); // the same server, not a second one
            Assert.Equal(orphan.ConnectionString, adopted.ConnectionString);
        }

        Assert.False(File.Exists(pidFile)); // the adopter owned it and stopped it
    }

    [Fact]
    public async Task Missing_binaries_say_what_to_install_or_configure()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_home, "empty-bin")).FullName;

        var e = await Assert.ThrowsAsync<StorageException>(() => ActSearchStorage.OpenAsync(new StorageOptions
        {
            Embedded = Options() with { BinarySearchPath = [empty] },
        }));

        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("apt-get install postgresql", e.Message, StringComparison.Ordinal);
        Assert.Contains("ACTSEARCH_DB", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_home, "postgres")));
    }

    [Fact]
    public async Task A_long_data_path_falls_back_to_loopback_tcp_with_a_password()
    {
        string deep = Path.Combine(_home, new string('d', 60), new string('e', 40), "postgres");
        await using var storage = await ActSearchStorage.OpenAsync(new StorageOptions { Embedded = Options() with { DataDirectory = deep } });

        Assert.StartsWith("127.0.0.1:", storage.Description, StringComparison.Ordinal);
        await storage.Jobs.CreateAsync(Samples.Job());
    }

    [Fact]
    public async Task As_root_it_also_runs_as_a_service_user()
    {
        if (!Launcher.IsRoot()) return; // the plain path is what every other test exercises as a normal user
        await using (var storage = await ActSearchStorage.OpenAsync(Storage(RootStrategy.ServiceUser)))
            await storage.Jobs.CreateAsync(Samples.Job());
        // The data directory now belongs to the service user, and a second start reuses it.
        await using var again = await ActSearchStorage.OpenAsync(Storage(RootStrategy.ServiceUser));
        Assert.Single(await again.Jobs.ListAsync());
    }

    [Fact]
    public void Binary_search_finds_the_installed_server_and_its_version()
    {
        var found = PostgresBinaries.Find();
        Assert.True(File.Exists(found.Postgres));
        Assert.True(found.MajorVersion >= 10, $"version {found.MajorVersion} in {found.Directory}");
    }

    // A pid that no process has: a child that already exited (pids are not reused this quickly).
    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }
}
