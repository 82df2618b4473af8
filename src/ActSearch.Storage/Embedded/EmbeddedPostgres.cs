using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace ActSearch.Storage;

/// <summary>Settings of the private PostgreSQL server ActSearch runs when no connection string is configured.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>The cluster's data directory (created by initdb on first use, reused after).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Directories to look for initdb/pg_ctl/postgres in; null: <see cref="PostgresBinaries.DefaultSearchPath"/>.</summary>
    public IReadOnlyList<string>? BinarySearchPath { get; init; }

    public string Database { get; init; } = "actsearch";

    /// <summary>
    /// The cluster's superuser (initdb's bootstrap user): it creates <see cref="Database"/> and <see cref="AppUser"/> and
    /// hands the database to it; ActSearch itself never signs in as it. The server trusts only its owner's Unix socket,
    /// or a password on TCP.
    /// </summary>
    public string User { get; init; } = "actsearch";

    /// <summary>
    /// The role ActSearch signs in as (<see cref="EmbeddedPostgres.ConnectionString"/>): it owns <see cref="Database"/>, its
    /// schema and its tables, and nothing more: not a superuser, so no <c>pg_read_file</c>, no <c>COPY ... PROGRAM</c>,
    /// no other database. Data directories made before this role existed are handed over to it at their next start.
    /// </summary>
    public string AppUser { get; init; } = "actsearch_app";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// False trades crash safety of the server for speed (fsync off): for throwaway test servers only. An OS crash
    /// can then lose committed data; a killed ActSearch process cannot, either way.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>
    /// Listen on a free loopback port (password sign-in) instead of a Unix socket. Off by default: the socket in the
    /// data directory is private to its owner. TCP is also used when the directory's path is too long for a socket.
    /// </summary>
    public bool UseTcp { get; init; }

    /// <summary>How to get around PostgreSQL's refusal to run as root; tests force each way.</summary>
    public RootStrategy WhenRoot { get; init; } = RootStrategy.Auto;
}

/// <summary>
/// PostgreSQL will not run as root. Auto tries a user namespace first (the server runs as an unprivileged id inside
/// it while its files stay owned by root, so any data directory root can reach works), then a dedicated user
/// ('postgres' when it exists, else 'nobody') that owns the data directory.
/// </summary>
public enum RootStrategy { Auto, UserNamespace, ServiceUser }

/// <summary>
/// A private PostgreSQL server started from the machine's binaries: initdb'd on first use in
/// <see cref="EmbeddedPostgresOptions.DataDirectory"/>, listening only on a Unix socket inside that directory (or, when
/// the path is too long for a socket, on a free loopback port with a generated password), reused by later runs so
/// the catalog grows across runs, and stopped (<c>pg_ctl stop -m fast</c>) on dispose. A server left running by a
/// process that died is adopted; a stale postmaster.pid left by a crashed server is removed before starting.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const int SocketPort = 5432; // only names the socket file; nothing listens on TCP in socket mode
    private const int MaxSocketPath = 100; // sockaddr_un holds 107 bytes on Linux; leave room

    private readonly PostgresBinaries _binaries;
    private readonly Launcher _launcher;
    private readonly bool _owner;
    private bool _disposed;

    private EmbeddedPostgres(EmbeddedPostgresOptions options, PostgresBinaries binaries, Launcher launcher, string connectionString, bool owner)
    {
        Options = options;
        _binaries = binaries;
        _launcher = launcher;
        ConnectionString = connectionString;
        _owner = owner;
    }

    public EmbeddedPostgresOptions Options { get; }

    public string DataDirectory => Options.DataDirectory;

    /// <summary>Connection string of the ActSearch database on this server, as <see cref="EmbeddedPostgresOptions.AppUser"/>.</summary>
    public string ConnectionString { get; }

    /// <summary>The same server's maintenance database as its superuser (for CREATE DATABASE and roles; tests use it).</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Username = Options.User }.ConnectionString;

    public int MajorVersion => _binaries.MajorVersion;

    /// <summary>Starts the server (initializing the data directory when new) or adopts one already running there.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string dir = Path.GetFullPath(options.DataDirectory);
        options = options with { DataDirectory = dir };
        int? existingMajor = File.Exists(Path.Combine(dir, "PG_VERSION"))
            ? int.Parse(File.ReadAllText(Path.Combine(dir, "PG_VERSION")).Trim(), CultureInfo.InvariantCulture)
            : null;
        var binaries = PostgresBinaries.Find(options.BinarySearchPath, existingMajor);
        if (existingMajor is { } m && binaries.MajorVersion != 0 && binaries.MajorVersion != m)
            throw new StorageException(
                $"The embedded database in {dir} was made by PostgreSQL {m}, but only PostgreSQL {binaries.MajorVersion} is installed: " +
                $"install postgresql-{m}, or move {dir} away to start afresh (or upgrade it with pg_upgrade).");

        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        // One starter at a time per data directory (two processes starting together would both try initdb).
        await using var startLock = await FileLock.AcquireAsync(dir + ".lock", options.StartTimeout, cancellation).ConfigureAwait(false);
        var launcher = await Launcher.ForAsync(options.WhenRoot, dir, cancellation).ConfigureAwait(false);

        if (existingMajor is null) await InitAsync(options, binaries, launcher, cancellation).ConfigureAwait(false);

        bool owner = true;
        string ownerFile = dir + ".owner";
        if (RunningPostmaster(dir) is { } running)
        {
            // Left by a process that died (kill -9 leaves the daemonized server up), or in use by another live process.
            owner = !(File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out int pid) && pid != Environment.ProcessId && IsAlive(pid));
            string cs = ConnectionStringFor(options, running.SocketDirectory, running.Port, dir);
            if (owner) await File.WriteAllTextAsync(ownerFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellation).ConfigureAwait(false);
            var adopted = new EmbeddedPostgres(options, binaries, launcher, cs, owner);
            await adopted.EnsureDatabaseAsync(cancellation).ConfigureAwait(false);
            return adopted;
        }

        var (socketDir, port) = await WriteSettingsAsync(options, cancellation).ConfigureAwait(false);
        await launcher.PrepareAsync(dir, cancellation).ConfigureAwait(false);
        var start = await launcher.RunAsync(binaries.PgCtl,
            ["start", "-D", dir, "-w", "-t", ((int)options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-l", Path.Combine(dir, "server.log")],
            options.StartTimeout + TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false);
        if (start.ExitCode != 0)
            throw new StorageException($"The embedded PostgreSQL in {dir} did not start: {LastLines(start.Output + ReadLog(dir), 3)}");
        await File.WriteAllTextAsync(ownerFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellation).ConfigureAwait(false);
        var server = new EmbeddedPostgres(options, binaries, launcher, ConnectionStringFor(options, socketDir, port, dir), owner);
        try
        {
            await server.EnsureDatabaseAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>Stops the server with pg_ctl stop -m fast (unless another live process started it and still uses it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed || !_owner) return;
        _disposed = true;
        NpgsqlConnection.ClearAllPools(); // pooled idle connections would only see the server vanish
        await _launcher.RunAsync(_binaries.PgCtl, ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], TimeSpan.FromSeconds(70), CancellationToken.None)
            .ConfigureAwait(false);
        try
        {
            File.Delete(DataDirectory + ".owner");
        }
        catch (IOException)
        {
            // Only a hint for adoption; a stale one is checked against the live process list.
        }
    }

    private static async Task InitAsync(EmbeddedPostgresOptions options, PostgresBinaries binaries, Launcher launcher, CancellationToken ct)
    {
        string dir = options.DataDirectory;
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new StorageException($"{dir} is not empty and is not a PostgreSQL data directory: move it away or set ACTSEARCH_HOME elsewhere.");
        Directory.CreateDirectory(dir);
        // A random password for the cluster's user: used only when the server must listen on TCP (long paths).
        string password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        string pwfile = Path.Combine(Path.GetDirectoryName(dir)!, $".{Path.GetFileName(dir)}.pw-{Environment.ProcessId}");
        await File.WriteAllTextAsync(pwfile, password + "\n", ct).ConfigureAwait(false);
        try
        {
            await launcher.PrepareAsync(dir, ct, pwfile).ConfigureAwait(false);
            var init = await launcher.RunAsync(binaries.InitDb,
                ["-D", dir, "-U", options.User, "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                 "-E", "UTF8", "--locale=C", "--no-instructions", .. options.Durable ? Array.Empty<string>() : ["--no-sync"]],
                TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
            if (init.ExitCode != 0)
            {
                TryDelete(dir);
                throw new StorageException($"initdb could not create the embedded database in {dir}: {LastLines(init.Output, 2)}");
            }
        }
        finally
        {
            File.Delete(pwfile);
        }
        // Outside the data directory's config so later starts can rewrite it; included by name from postgresql.conf.
        await File.AppendAllTextAsync(Path.Combine(dir, "postgresql.conf"), "\ninclude_if_exists = 'actsearch.conf'\n", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(PasswordFile(dir), password, ct).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(PasswordFile(dir), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    // The password sits beside (not inside) the data directory: the server's user never needs it.
    private static string PasswordFile(string dir) => dir + ".password";

    /// <summary>Writes actsearch.conf for this start: a Unix socket in the data directory, or loopback TCP when that path is too long.</summary>
    private static async Task<(string? SocketDir, int Port)> WriteSettingsAsync(EmbeddedPostgresOptions options, CancellationToken ct)
    {
        string dir = options.DataDirectory;
        bool socket = !options.UseTcp && (dir + "/.s.PGSQL." + SocketPort).Length <= MaxSocketPath;
        int port = socket ? SocketPort : FreeLoopbackPort();
        var lines = new List<string>
        {
            "# Written by ActSearch at every start of its embedded server; edits are overwritten.",
            $"port = {port}",
            socket ? "listen_addresses = ''" : "listen_addresses = '127.0.0.1'",
            socket ? $"unix_socket_directories = '{dir.Replace("'", "''", StringComparison.Ordinal)}'" : "unix_socket_directories = ''",
            "max_connections = 100",
        };
        if (!options.Durable) lines.AddRange(["fsync = off", "synchronous_commit = off", "full_page_writes = off"]);
        string path = Path.Combine(dir, "actsearch.conf");
        await File.WriteAllLinesAsync(path, lines, ct).ConfigureAwait(false);
        return (socket ? dir : null, port);
    }

    private static string ConnectionStringFor(EmbeddedPostgresOptions options, string? socketDir, int port, string dir)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = socketDir ?? "127.0.0.1",
            Port = port,
            Username = options.AppUser,
            Database = options.Database,
        };
        if (socketDir is null && File.Exists(PasswordFile(dir))) b.Password = File.ReadAllText(PasswordFile(dir)).Trim();
        return b.ConnectionString;
    }

    private async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        // The server may still be finishing recovery after a crash: retry briefly on "starting up".
        var deadline = DateTime.UtcNow + Options.StartTimeout;
        while (true)
        {
            try
            {
                await using var c = new NpgsqlConnection(AdminConnectionString);
                await c.OpenAsync(ct).ConfigureAwait(false);
                await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", c) { Parameters = { new() { Value = Options.Database } } };
                if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
                {
                    // Identifiers cannot be parameters; quote it as PostgreSQL would.
                    await using var create = new NpgsqlCommand($"CREATE DATABASE {Ident(Options.Database)}", c);
                    try
                    {
                        await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
                    {
                        // Another process created it first.
                    }
                }
                await HandOverAsync(c, ct).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException e) when (e.IsTransient && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
            catch (NpgsqlException e)
            {
                throw StorageException.From(e, ConnectionString);
            }
        }
    }

    /// <summary>
    /// Makes <see cref="EmbeddedPostgresOptions.AppUser"/> (a plain login role, with the cluster's password for TCP) and gives
    /// it the database, its public schema and everything in it (tables, views, free sequences, functions); at every start,
    /// so a data directory whose tables the superuser made (before this role existed) is handed over too.
    /// </summary>
    private async Task HandOverAsync(NpgsqlConnection admin, CancellationToken ct)
    {
        string app = Ident(Options.AppUser);
        string password = File.Exists(PasswordFile(DataDirectory)) ? (await File.ReadAllTextAsync(PasswordFile(DataDirectory), ct).ConfigureAwait(false)).Trim() : "";
        string attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS" + (password.Length > 0 ? $" PASSWORD {Literal(password)}" : "");
        await ExecuteAsync(admin, $"""
            DO $do$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Literal(Options.AppUser)}) THEN CREATE ROLE {app}; END IF;
            END $do$;
            ALTER ROLE {app} {attributes};
            ALTER DATABASE {Ident(Options.Database)} OWNER TO {app};
            """, ct).ConfigureAwait(false);

        var inDatabase = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Options.Database }.ConnectionString;
        await using var db = new NpgsqlConnection(inDatabase);
        await db.OpenAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(db, $"""
            ALTER SCHEMA public OWNER TO {app};
            DO $do$ DECLARE statement text; BEGIN
              FOR statement IN
                SELECT format('ALTER %s %s OWNER TO %I',
                         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                         c.oid::regclass, {Literal(Options.AppUser)})
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> {Literal(Options.AppUser)}::regrole
                  AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
                UNION ALL
                SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, {Literal(Options.AppUser)})
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.proowner <> {Literal(Options.AppUser)}::regrole
              LOOP
                EXECUTE statement;
              END LOOP;
            END $do$;
            """, ct).ConfigureAwait(false);

        static async Task ExecuteAsync(NpgsqlConnection c, string sql, CancellationToken ct)
        {
            await using var command = new NpgsqlCommand(sql, c);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    // Names and the password are ActSearch's own settings, not user input; quoted anyway, as PostgreSQL quotes them.
    private static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private sealed record Postmaster(int Pid, int Port, string? SocketDirectory);

    /// <summary>The server running on <paramref name="dir"/>, or null; a postmaster.pid naming a dead or foreign process is removed.</summary>
    private static Postmaster? RunningPostmaster(string dir)
    {
        string pidFile = Path.Combine(dir, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(pidFile);
        }
        catch (IOException)
        {
            return null;
        }
        if (lines.Length >= 1 && int.TryParse(lines[0], out int pid) && IsAlive(pid) && IsPostgres(pid))
        {
            if (lines.Length < 6) throw new StorageException($"A PostgreSQL server is still starting in {dir} (pid {pid}); try again in a moment.");
            int port = int.TryParse(lines[3], out int p) ? p : SocketPort;
            string? socketDir = lines[4].Length > 0 ? lines[4].Split(',')[0].Trim() : null;
            return new Postmaster(pid, port, socketDir);
        }
        // Stale: the server crashed or the machine restarted. PostgreSQL refuses to start while the file names a
        // live process, and after a reboot the pid may now belong to anything, so remove it (and the socket lock).
        File.Delete(pidFile);
        foreach (string lockFile in Directory.EnumerateFiles(dir, ".s.PGSQL.*.lock")) File.Delete(lockFile);
        return null;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool IsPostgres(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() is "postgres" or "postmaster";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string ReadLog(string dir)
    {
        try
        {
            return "\n" + File.ReadAllText(Path.Combine(dir, "server.log"));
        }
        catch (IOException)
        {
            return "";
        }
    }

    internal static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Leave it; the next initdb reports the non-empty directory.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
