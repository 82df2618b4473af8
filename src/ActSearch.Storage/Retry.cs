using Npgsql;

namespace ActSearch.Storage;

/// <summary>
/// How often and how patiently transient failures (connection lost, server starting or shutting down,
/// serialization failure, deadlock: <see cref="NpgsqlException.IsTransient"/>) are retried.
/// </summary>
public sealed record RetryOptions
{
    public static RetryOptions Default { get; } = new();

    /// <summary>No retries: the first failure is reported (for tests and for interactive commands that should fail fast).</summary>
    public static RetryOptions None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Wait before the second attempt; doubled for each later one, with ±20% jitter.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Runs a unit of work with retries on transient failures and turns every failure into a
/// <see cref="StorageException"/>. The work must be one transaction (or read-only) and safe to repeat: every
/// write in this assembly is (inserts skip rows already there), so a commit whose acknowledgement was lost
/// can be retried without duplicating anything.
/// </summary>
internal sealed class Retry(RetryOptions options, string connectionString)
{
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellation)
    {
        var delay = options.FirstDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await work(cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && attempt < options.MaxAttempts && !cancellation.IsCancellationRequested)
            {
                // Jitter keeps many workers that lost the server together from coming back in lockstep.
                double factor = 0.8 + 0.4 * Random.Shared.NextDouble();
                await Task.Delay(delay * factor, cancellation).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxDelay.Ticks));
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException { InnerException: NpgsqlException })
            {
                throw StorageException.From(e, connectionString);
            }
        }
    }

    public Task RunAsync(Func<CancellationToken, Task> work, CancellationToken cancellation) =>
        RunAsync<bool>(async ct =>
        {
            await work(ct).ConfigureAwait(false);
            return true;
        }, cancellation);

    private static bool IsTransient(Exception e) => e switch
    {
        NpgsqlException n => n.IsTransient,
        TimeoutException => true,
        _ => false,
    };
}
