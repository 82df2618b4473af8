using System.Net.Sockets;
using Npgsql;

namespace ActSearch.Storage;

/// <summary>
/// A storage failure with a one-line message meant for people (hosts print <see cref="Exception.Message"/>
/// and exit, no stack trace). The driver's exception, when there was one, is the inner exception.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(string message) : base(message) { }

    public StorageException(string message, Exception inner) : base(message, inner) { }

    public StorageException() { }

    /// <summary>
    /// True when retrying later may succeed: the server was unreachable, restarting or did not answer in time, or the
    /// transaction lost a race. False for what a retry cannot fix (a refused password, a missing database, a bad value).
    /// </summary>
    public bool IsTransient => InnerException is NpgsqlException { IsTransient: true } or TimeoutException;

    /// <summary>Turns a driver exception into one line naming the server, never the password.</summary>
    internal static StorageException From(Exception e, string? connectionString)
    {
        if (e is StorageException s) return s;
        string where = Describe(connectionString);
        string message = e switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword } =>
                $"PostgreSQL at {where} refused the password (set the right one in ACTSEARCH_DB).",
            PostgresException { SqlState: PostgresErrorCodes.InvalidAuthorizationSpecification } p =>
                $"PostgreSQL at {where} refused the sign-in: {OneLine(p.MessageText)} (check ACTSEARCH_DB).",
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } =>
                $"PostgreSQL at {where}: the database does not exist (create it, or fix ACTSEARCH_DB).",
            PostgresException p => $"PostgreSQL at {where} said: {OneLine(p.MessageText)} ({p.SqlState}).",
            NpgsqlException { InnerException: SocketException so } =>
                $"Cannot reach PostgreSQL at {where}: {OneLine(so.Message)} (is the server running? check ACTSEARCH_DB).",
            NpgsqlException { InnerException: TimeoutException } or TimeoutException =>
                $"PostgreSQL at {where} did not answer in time (check the host in ACTSEARCH_DB and the network).",
            NpgsqlException n => $"PostgreSQL at {where}: {OneLine(n.Message)}",
            ArgumentException a => $"The PostgreSQL connection string is not valid: {OneLine(a.Message)} (check ACTSEARCH_DB).",
            _ => $"Storage failed at {where}: {OneLine(e.Message)}",
        };
        return new StorageException(message, e);
    }

    /// <summary>"host:port/database as user", from a connection string, without the password.</summary>
    public static string Describe(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString)) return "(no connection string)";
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            string host = b.Host ?? "localhost";
            string server = host.StartsWith('/') ? $"socket {host}" : $"{host}:{b.Port}";
            return $"{server}/{b.Database ?? b.Username ?? "?"} as {b.Username ?? Environment.UserName}";
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
