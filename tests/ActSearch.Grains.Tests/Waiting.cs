using System.Diagnostics;

namespace ActSearch.Grains.Tests;

internal static class Waiting
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Polls the job until <paramref name="condition"/> holds; fails with the last status after <paramref name="timeout"/>.</summary>
    public static async Task<JobStatus> Until(this ISearchJobGrain job, Func<JobStatus, bool> condition, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var s = await job.GetStatus();
            if (condition(s)) return s;
            if (clock.Elapsed > (timeout ?? Default))
                throw new TimeoutException($"Job {s.JobId} did not get there in {timeout ?? Default}: {s.State}, generation {s.Generation}, scored {s.Scored}, in flight {s.InFlight}, error {s.Error}.");
            await Task.Delay(25);
        }
    }

    public static Task<JobStatus> UntilFinal(this ISearchJobGrain job, TimeSpan? timeout = null) => job.Until(s => s.IsFinal, timeout);

    /// <summary>Waits for a plain condition with a deadline.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (timeout ?? Default)) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(25);
        }
    }
}
