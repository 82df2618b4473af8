using System.Collections.Immutable;
using ActSearch.Storage;

namespace ActSearch.Api;

/// <summary>
/// A job's rejection funnel from its stored outcomes, as the API and the report show it. Outcomes copied from an
/// earlier candidate with the same fingerprint (cached) count as removed by the duplicate stage, whatever their
/// kind, so "trained" holds only the candidates a worker trained and its seconds per candidate are real.
/// </summary>
public static class JobFunnel
{
    /// <summary>The rejection chain's stages in the order they run.</summary>
    public static readonly ImmutableArray<string> ChainStages = ["static", "numeric", "duplicate", "stability", "quality"];

    public static FunnelView Of(Guid jobId, IReadOnlyCollection<OutcomeTally> tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var removed = new Dictionary<string, (long Count, double Seconds)>(StringComparer.Ordinal);
        void Remove(string stage, OutcomeTally t)
        {
            var (count, seconds) = removed.GetValueOrDefault(stage);
            removed[stage] = (count + t.Count, seconds + t.Seconds);
        }
        foreach (var t in tally)
            if (t.Cached) Remove("duplicate", t);
            else if (t.Kind == "rejected") Remove(t.Stage ?? "", t);

        var stages = ChainStages.Concat(removed.Keys.Where(k => !ChainStages.Contains(k)).Order(StringComparer.Ordinal))
            .Select(s =>
            {
                var (count, seconds) = removed.GetValueOrDefault(s);
                return new FunnelStage(s, count, seconds);
            })
            .ToList();
        var trained = tally.Where(t => t.Kind == "evaluated" && !t.Cached).ToList();
        stages.Add(new FunnelStage("trained", 0, trained.Sum(t => t.Seconds)));
        long Count(string kind) => tally.Where(t => t.Kind == kind && !t.Cached).Sum(t => t.Count);
        return new FunnelView(jobId, tally.Sum(t => t.Count), stages, tally.Where(t => t.Cached).Sum(t => t.Count),
            Count("failed"), Count("cancelled"), trained.Sum(t => t.Count));
    }
}
