using System.Globalization;

namespace ActSearch.Storage;

/// <summary>The PostgreSQL server programs of one installation: initdb, pg_ctl and postgres, side by side.</summary>
public sealed record PostgresBinaries(string Directory, int MajorVersion)
{
    public string InitDb => Path.Combine(Directory, "initdb");

    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    public string Postgres => Path.Combine(Directory, "postgres");

    /// <summary>Where to look when nothing else is said: PATH, then Debian's and RHEL's locations, newest version first.</summary>
    public static IReadOnlyList<string> DefaultSearchPath()
    {
        var dirs = new List<string>();
        if (Environment.GetEnvironmentVariable("PATH") is { } path)
            dirs.AddRange(path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        foreach (string root in new[] { "/usr/lib/postgresql", "/usr/local/pgsql", "/usr" })
        {
            if (!System.IO.Directory.Exists(root)) continue;
            var versioned = root == "/usr"
                ? System.IO.Directory.GetDirectories(root, "pgsql-*").Select(d => (Dir: Path.Combine(d, "bin"), Version: VersionOf(Path.GetFileName(d)["pgsql-".Length..])))
                : root == "/usr/lib/postgresql"
                    ? System.IO.Directory.GetDirectories(root).Select(d => (Dir: Path.Combine(d, "bin"), Version: VersionOf(Path.GetFileName(d))))
                    : [(Dir: Path.Combine(root, "bin"), Version: 0)];
            dirs.AddRange(versioned.OrderByDescending(v => v.Version).Select(v => v.Dir));
        }
        return dirs;
    }

    /// <summary>
    /// The first directory of <paramref name="searchPath"/> that holds all three programs; with
    /// <paramref name="preferredMajor"/> (the version an existing data directory was made by), the first of that
    /// version. Throws a <see cref="StorageException"/> that says what to install or configure when none is found.
    /// </summary>
    public static PostgresBinaries Find(IReadOnlyList<string>? searchPath = null, int? preferredMajor = null)
    {
        searchPath ??= DefaultSearchPath();
        var found = new List<PostgresBinaries>();
        foreach (string dir in searchPath)
        {
            string[] programs = [Path.Combine(dir, "initdb"), Path.Combine(dir, "pg_ctl"), Path.Combine(dir, "postgres")];
            if (!programs.All(File.Exists)) continue;
            // Resolve links (/usr/local/bin/postgres -> /usr/lib/postgresql/15/bin/postgres) to learn the version.
            string real = Path.GetDirectoryName(new FileInfo(programs[2]).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? programs[2])!;
            found.Add(new PostgresBinaries(real, MajorOf(real)));
        }
        if (found.Count == 0)
            throw new StorageException(
                "No PostgreSQL server found (initdb, pg_ctl and postgres are not in PATH or /usr/lib/postgresql/*/bin): " +
                "install it (Debian/Ubuntu: sudo apt-get install postgresql) or set ACTSEARCH_DB to a connection string, " +
                "e.g. ACTSEARCH_DB='Host=localhost;Username=actsearch;Password=...;Database=actsearch'.");
        return preferredMajor is { } major && found.FirstOrDefault(b => b.MajorVersion == major) is { } same ? same : found[0];
    }

    // Debian keeps each version under /usr/lib/postgresql/<major>/bin; elsewhere the version is read from the tree if possible.
    private static int MajorOf(string binDir)
    {
        string? parent = Path.GetFileName(Path.GetDirectoryName(binDir));
        if (parent is not null && VersionOf(parent) is > 0 and var v) return v;
        if (parent is not null && parent.StartsWith("pgsql-", StringComparison.Ordinal)) return VersionOf(parent["pgsql-".Length..]);
        return 0;
    }

    private static int VersionOf(string text) =>
        int.TryParse(text.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : 0;
}
