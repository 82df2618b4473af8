using System.Collections.Immutable;
using ActSearch.Evolution;
using ActSearch.Storage;

namespace ActSearch.Api;

/// <summary>
/// A job's rejection funnel from its stored outcomes, as the API and the report show it. Outcomes copied from an
/// earlier candidate with the same fingerprint (cached) count as removed by the duplicate stage, whatever their
/// kind, so "trained" holds only the candidates a worker trained and its seconds per candidate are real. With fidelity
/// rungs the stages are the lowest rung's (where every candidate starts) and each rung gets a row of its own.
/// </summary>
public static class JobFunnel
{
    /// <summary>The rejection chain's stages in the order they run.</summary>
    public static readonly ImmutableArray<string> ChainStages = ["static", "numeric", "duplicate", "stability", "quality"];

    public static FunnelView Of(Guid jobId, IReadOnlyCollection<OutcomeTally> all, FidelityOptions? fidelity = null)
    {
        ArgumentNullException.ThrowIfNull(all);
        var tally = all.Where(t => t.Rung == 0).ToList();
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
            Count("failed"), Count("cancelled"), trained.Sum(t => t.Count), Rungs(all, fidelity));
    }

    /// <summary>
    /// Each fidelity rung from the stored outcomes (none for a job without rungs): scored there by a worker, evaluated,
    /// promoted (ended at the next rung), and the seconds spent there.
    /// </summary>
    public static IReadOnlyList<RungView> Rungs(IReadOnlyCollection<OutcomeTally> tally, FidelityOptions? fidelity)
    {
        ArgumentNullException.ThrowIfNull(tally);
        int count = Math.Max(tally.Count == 0 ? 1 : tally.Max(t => t.Rung) + 1, fidelity?.Count ?? 1);
        if (count < 2) return [];
        return [.. Enumerable.Range(0, count).Select(r =>
        {
            var at = tally.Where(t => t.Rung == r).ToList();
            return new RungView(
                r, fidelity is { } f && r < f.Count ? f.Rung(r).ToString() : null,
                at.Where(t => !t.Cached && t.Kind != "cancelled").Sum(t => t.Count),
                at.Where(t => !t.Cached && t.Kind == "evaluated").Sum(t => t.Count),
                tally.Where(t => t.Rung == r + 1 && t.Kind != "cancelled").Sum(t => t.Count),
                at.Sum(t => t.Seconds));
        })];
    }
}
