using Npgsql;

namespace ActSearch.Storage;

/// <summary>
/// The one data source every repository shares, with the retry policy around each unit of work.
/// Each unit opens a pooled connection, runs, and returns it: nothing holds a connection between calls.
/// </summary>
internal sealed class Db(NpgsqlDataSource source, RetryOptions retry)
{
    private readonly Retry _retry = new(retry, source.ConnectionString);

    public NpgsqlDataSource Source => source;

    /// <summary>Runs <paramref name="work"/> in one transaction, retried whole on transient failures.</summary>
    public Task InTransactionAsync(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> work, CancellationToken cancellation) =>
        _retry.RunAsync(async ct =>
        {
            await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await work(connection, tx, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }, cancellation);

    /// <summary>Runs a read, retried on transient failures.</summary>
    public Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellation) =>
        _retry.RunAsync(async ct =>
        {
            await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await work(connection, ct).ConfigureAwait(false);
        }, cancellation);

    /// <summary>A list of rows from a parameterized query.</summary>
    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, CancellationToken cancellation, params object?[] parameters) =>
        ReadAsync(async (c, ct) =>
        {
            await using var cmd = Command(c, null, sql, parameters);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) rows.Add(map(reader));
            return rows;
        }, cancellation);

    public static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var p in parameters) cmd.Parameters.Add(p as NpgsqlParameter ?? new NpgsqlParameter { Value = p ?? DBNull.Value });
        return cmd;
    }

    public static async Task<int> ExecuteAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var cmd = Command(c, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // 64-bit unsigned values keep their bits in a signed bigint column.
    public static long Bits(ulong v) => unchecked((long)v);

    public static ulong Unsigned(long v) => unchecked((ulong)v);

    public static T? Nullable<T>(NpgsqlDataReader r, int i) where T : struct => r.IsDBNull(i) ? null : r.GetFieldValue<T>(i);

    public static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
