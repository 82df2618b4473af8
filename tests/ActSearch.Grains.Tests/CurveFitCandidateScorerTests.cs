using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains.Tests;

public sealed class CurveFitCandidateScorerTests
{
    private static readonly CurveFitCandidateScorer Scorer = new(Options.Create(new CurveFitScorerOptions()));

    private static Candidate Candidate(string formula, long id = 1)
    {
        var genome = ExprParser.Parse(formula);
        return new Candidate(id, genome, 0, [], "init", Fingerprint.Of(genome));
    }

    private static SearchSpace Space(string yaml = TestSpaces.Regression) => SearchSpaceLoader.LoadFromText(yaml, TestSpaces.FileName);

    [Fact]
    public void The_target_itself_scores_near_zero_loss_and_its_objectives_by_name()
    {
        var outcome = Assert.IsType<CandidateOutcome.Evaluated>(Scorer.Score(Candidate("0.5 * x * (1 + erf(x / 1.4142135623730951))"), Space()));
        Assert.InRange(outcome.Objectives[0], 0, 1e-20);
        Assert.Equal(outcome.Refined?.Complexity() ?? ExprParser.Parse("0.5 * x * (1 + erf(x / 1.4142135623730951))").Complexity(), outcome.Objectives[1]);
    }

    [Fact]
    public void Constants_are_fitted_and_the_refined_genome_comes_back()
    {
        var outcome = Assert.IsType<CandidateOutcome.Evaluated>(Scorer.Score(Candidate("x * sigmoid(1 * x)"), Space()));
        Assert.NotNull(outcome.Refined);
        Assert.NotEqual(1.0, outcome.Refined!.Nodes().OfType<Constant>().Single().Value);
        Assert.InRange(outcome.Objectives[0], 0, 1e-2); // x * sigmoid(1.702 x) is close to GELU
    }

    [Fact]
    public void Scoring_is_deterministic()
    {
        var c = Candidate("tanh(x) * 2 + 0.5");
        Assert.Equal(Scorer.Score(c, Space()), Scorer.Score(c, Space()), new OutcomeBits());
    }

    [Fact]
    public void A_non_finite_candidate_is_rejected_at_the_numeric_stage()
    {
        var rejected = Assert.IsType<CandidateOutcome.Rejected>(Scorer.Score(Candidate("x / (x - x)"), Space()));
        Assert.Equal("numeric", rejected.Stage);
    }

    [Fact]
    public void A_space_without_the_regression_task_fails_with_the_reason()
    {
        var space = Space(TestSpaces.Regression.Replace("tasks: [regression]", "tasks: [fmnist-mlp]", StringComparison.Ordinal)
            .Replace("objectives: [loss@regression, complexity]", "objectives: [accuracy@fmnist-mlp, complexity]", StringComparison.Ordinal));
        var failed = Assert.IsType<CandidateOutcome.Failed>(Scorer.Score(Candidate("x"), space));
        Assert.Contains("regression", failed.Error, StringComparison.Ordinal);
    }

    private sealed class OutcomeBits : IEqualityComparer<CandidateOutcome>
    {
        public bool Equals(CandidateOutcome? a, CandidateOutcome? b) => (a, b) switch
        {
            (CandidateOutcome.Evaluated x, CandidateOutcome.Evaluated y) =>
                x.Objectives.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(y.Objectives.Select(BitConverter.DoubleToInt64Bits)) && x.Refined == y.Refined,
            _ => object.Equals(a, b),
        };

        public int GetHashCode(CandidateOutcome o) => o.Kind.GetHashCode(StringComparison.Ordinal);
    }
}
