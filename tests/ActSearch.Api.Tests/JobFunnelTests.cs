using ActSearch.Evolution;
using ActSearch.Storage;

namespace ActSearch.Api.Tests;

/// <summary>The funnel the API and the report show, from a job's stored outcome tally.</summary>
public sealed class JobFunnelTests
{
    private static readonly Guid Job = Guid.NewGuid();

    [Fact]
    public void Outcomes_copied_from_a_twin_count_as_removed_by_the_duplicate_stage_not_as_trained()
    {
        OutcomeTally[] tally =
        [
            new("evaluated", null, 10, 80.0),
            new("evaluated", null, 25, 0.0, Cached: true),
            new("rejected", "numeric", 6, 0.012),
            new("rejected", "numeric", 4, 0.0, Cached: true),
            new("rejected", "stability", 3, 0.3),
            new("failed", null, 1, 2.0),
            new("failed", null, 2, 0.0, Cached: true),
            new("cancelled", null, 5, 0.0),
        ];

        var funnel = JobFunnel.Of(Job, tally);

        Assert.Equal(56, funnel.Proposed);
        Assert.Equal(["static", "numeric", "duplicate", "stability", "quality", "trained"], funnel.Stages.Select(s => s.Stage));
        Assert.Equal([0L, 6, 31, 3, 0, 0], funnel.Stages.Select(s => s.Removed));
        Assert.Equal(80.0, funnel.Stages[^1].Seconds);
        Assert.Equal(10, funnel.Evaluated);
        Assert.Equal(31, funnel.CacheHits);
        Assert.Equal(1, funnel.Failed);
        Assert.Equal(5, funnel.Cancelled);
        // Every candidate lands in exactly one place.
        Assert.Equal(funnel.Proposed, funnel.Stages.Sum(s => s.Removed) + funnel.Evaluated + funnel.Failed + funnel.Cancelled);
    }

    [Fact]
    public void With_fidelity_rungs_the_stages_are_the_lowest_rungs_and_each_rung_has_a_row()
    {
        OutcomeTally[] tally =
        [
            new("rejected", "numeric", 5, 0.1),
            new("evaluated", null, 9, 90.0),
            new("evaluated", null, 2, 0.0, Cached: true),
            new("evaluated", null, 3, 60.0, Rung: 1),
            new("failed", null, 1, 5.0, Rung: 1),
            new("evaluated", null, 1, 0.0, Cached: true, Rung: 1),
            new("cancelled", null, 1, 0.0, Rung: 2),
            new("evaluated", null, 1, 70.0, Rung: 2),
        ];
        var fidelity = new FidelityOptions { Rungs = [new(100), new(300), new(1000, 3)] };

        var funnel = JobFunnel.Of(Job, tally, fidelity);

        // The chain's stages count candidates, at the lowest rung where each starts.
        Assert.Equal(16, funnel.Proposed);
        Assert.Equal(9, funnel.Evaluated);
        Assert.Equal(0, funnel.Failed);
        Assert.Equal(90.0, funnel.Stages[^1].Seconds);
        Assert.Equal(
            [new RungView(0, "100 steps", 14, 9, 5, 90.1), new RungView(1, "300 steps", 4, 3, 1, 65.0), new RungView(2, "1000 steps x 3 seeds", 1, 1, 0, 70.0)],
            funnel.Rungs.ToArray());
        Assert.Empty(JobFunnel.Of(Job, [new("evaluated", null, 9, 90.0)]).Rungs); // no rungs, no rows
    }

    [Fact]
    public void A_stage_the_chain_does_not_know_is_shown_after_the_known_ones()
    {
        var funnel = JobFunnel.Of(Job, [new("rejected", "budget-probe", 2, 0.5), new("evaluated", null, 1, 3.0)]);

        Assert.Equal(["static", "numeric", "duplicate", "stability", "quality", "budget-probe", "trained"], funnel.Stages.Select(s => s.Stage));
        Assert.Equal(2, funnel.Stages[5].Removed);
    }
}
