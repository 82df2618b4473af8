using System.Collections.Immutable;
using ActSearch.Evolution;
using ActSearch.Expressions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace ActSearch.Grains.Tests;

/// <summary>Core types cross the wire through the contracts' surrogates and come back equal, node sharing and bits included.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SurrogateTests(ClusterFixture fixture)
{
    private T RoundTrip<T>(T value)
    {
        var serializer = fixture.Client.ServiceProvider.GetRequiredService<Serializer>();
        return serializer.Deserialize<T>(serializer.SerializeToArray(value))!;
    }

    [Fact]
    public void A_candidate_round_trips_with_its_genome_and_fingerprint()
    {
        var genome = ExprParser.Parse("x * sigmoid(1.702 * x) + v0{0.25}");
        var c = new Candidate(42, genome, 3, [7, 9], "crossover", Fingerprint.Of(genome));

        var back = RoundTrip(c);

        Assert.Equal(c.Id, back.Id);
        Assert.Equal(c.Genome, back.Genome);
        Assert.Equal(c.Genome.ToString(), back.Genome.ToString());
        Assert.Equal(c.ParentIds.AsEnumerable(), back.ParentIds.AsEnumerable());
        Assert.Equal(c.Operator, back.Operator);
        Assert.Equal(c.Fingerprint, back.Fingerprint);
    }

    [Fact]
    public void Every_kind_of_outcome_round_trips_as_itself()
    {
        CandidateOutcome[] outcomes =
        [
            new CandidateOutcome.Evaluated([0.125, double.NaN, double.PositiveInfinity, -0.0], ExprParser.Parse("tanh(x) * 2")),
            new CandidateOutcome.Evaluated([1, 2]),
            new CandidateOutcome.Rejected("numeric", "NaN on the probe"),
            new CandidateOutcome.Failed("boom"),
            CandidateOutcome.Cancelled.Instance,
        ];
        foreach (var o in outcomes)
        {
            var back = RoundTrip(o);
            Assert.Equal(o.GetType(), back.GetType());
            Assert.Equal(o.Kind, back.Kind);
            if (o is CandidateOutcome.Evaluated e)
            {
                var b = (CandidateOutcome.Evaluated)back;
                Assert.Equal(e.Objectives.Select(BitConverter.DoubleToInt64Bits), b.Objectives.Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(e.Refined, b.Refined);
            }
            else
            {
                Assert.Equal(o, back);
            }
        }
    }

    [Fact]
    public void A_report_with_an_outcome_and_a_front_entry_with_a_genome_round_trip()
    {
        var report = new EvaluationReport(5, 99, 1, new CandidateOutcome.Rejected("quality", "below 20%"), fixture.Workers[0], new WorkerLoad(2, 1), TimeSpan.FromSeconds(3));
        var back = RoundTrip(report);
        Assert.Equal(report, back);

        var genome = ExprParser.Parse("group_std(x, 8) * sigmoid(v1{1, channel} * x)");
        var entry = new FrontEntry(1, 0, genome, genome.ToString(), [0.5, 3]);
        var entryBack = RoundTrip(entry);
        Assert.Equal(entry.Genome, entryBack.Genome);
        Assert.Equal(entry.Objectives.AsEnumerable(), entryBack.Objectives.AsEnumerable());

        Expr[] leaves = [Expr.X, Expr.Const(2.5), new Parameter("v0", 0, ParameterShape.PerChannel)];
        Assert.All(leaves, l => Assert.Equal(l, RoundTrip(l)));
        Assert.Equal([1L, 2L], RoundTrip(ImmutableArray.Create(1L, 2L)).AsEnumerable());
    }
}
