using ActSearch.Testing;

namespace ActSearch.Grains.Tests;

internal static class Waiting
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Polls the job until <paramref name="condition"/> holds; fails with the last status after <paramref name="timeout"/>.</summary>
    public static Task<JobStatus> Until(this ISearchJobGrain job, Func<JobStatus, bool> condition, TimeSpan? timeout = null) =>
        Poll.UntilAsync(job.GetStatus, condition, timeout ?? Default, "the job",
            s => $"job {s.JobId}: {s.State}, generation {s.Generation}, scored {s.Scored}, in flight {s.InFlight}, error {s.Error}",
            TimeSpan.FromMilliseconds(25));

    public static Task<JobStatus> UntilFinal(this ISearchJobGrain job, TimeSpan? timeout = null) => job.Until(s => s.IsFinal, timeout);

    /// <summary>Waits for a plain condition with a deadline.</summary>
    public static Task Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(condition, timeout ?? Default, what, TimeSpan.FromMilliseconds(25));
}
