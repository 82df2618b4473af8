using ActSearch.Evolution;
using static ActSearch.SearchSpaces.Tests.ErrorReportingTests;

namespace ActSearch.SearchSpaces.Tests;

/// <summary>The <c>surrogate:</c> section: pre-screening read into the engine's options, every mistake named at its text.</summary>
public sealed class SurrogateSectionTests
{
    private const string Head = "name: t\nkind: activation\ntasks: [fmnist-mlp, fmnist-cnn]\n";

    private const string TwoObjectives = "objectives:\n  - complexity\n  - accuracy@fmnist-cnn\n  - accuracy@fmnist-mlp\n";

    [Fact]
    public void Every_field_is_read()
    {
        var s = SearchSpaceLoader.LoadFromText(Head + TwoObjectives + """
            surrogate:
              candidates: 12
              acquisition: ucb
              exploration: 1.5
              objective: accuracy@fmnist-mlp
              min_observations: 20
              max_observations: 300
              warm_start: false
            """, "t.yaml").Evolution.Surrogate;
        Assert.Equal(new SurrogateOptions
        {
            Enabled = true, Candidates = 12, Acquisition = Acquisition.UpperConfidenceBound, Exploration = 1.5, Objective = 2,
            MinObservations = 20, MaxObservations = 300, WarmStart = false,
        }, s);
    }

    [Fact]
    public void An_empty_section_turns_it_on_with_the_defaults_and_predicts_the_first_trained_objective()
    {
        var s = SearchSpaceLoader.LoadFromText(Head + TwoObjectives + "surrogate: {}\n", "t.yaml").Evolution.Surrogate;
        Assert.True(s.Enabled);
        Assert.Equal(8, s.Candidates);
        Assert.Equal(Acquisition.ExpectedImprovement, s.Acquisition);
        Assert.Equal(0.01, s.ExplorationOrDefault);
        Assert.Equal(1, s.Objective); // complexity is computed from the formula
        Assert.True(s.WarmStart);
        Assert.False(SearchSpaceLoader.LoadFromText(Head, "t.yaml").Evolution.Surrogate.Enabled);
        Assert.False(SearchSpaceLoader.LoadFromText(Head + "surrogate: {enabled: false}\n", "t.yaml").Evolution.Surrogate.Enabled);
    }

    [Theory]
    [InlineData("surrogate:\n  acquisition: thompson\n", "thompson", "'surrogate.acquisition'")]
    [InlineData("surrogate:\n  candidates: 0\n", "0\n", "'surrogate.candidates'")]
    [InlineData("surrogate:\n  objective: accuracy@deep-mlp\n", "accuracy@deep-mlp", "is not one of the search's objectives")]
    [InlineData("surrogate:\n  min_observations: 50\n  max_observations: 20\n", "20\n", "must be at least 'min_observations' (50)")]
    [InlineData("surrogate:\n  candidates: 4\nevolution:\n  mode: generational\n", "generational", "needs 'evolution.mode: steady_state'")]
    [InlineData("surrogate:\n  candidate: 4\n", "candidate", "candidate")]
    public void Mistakes_are_named_at_their_text(string section, string at, string message)
    {
        string yaml = Head + TwoObjectives + section;
        var e = Assert.Single(Errors(yaml));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, at), (e.Line, e.Column));
    }

    [Fact]
    public void An_objective_computed_from_the_formula_is_not_predicted()
    {
        string yaml = Head + TwoObjectives + "surrogate:\n  objective: complexity\n";
        var e = Assert.Single(Errors(yaml));
        Assert.Contains("computed from the formula itself", e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, "complexity", occurrence: 2), (e.Line, e.Column));
    }

    [Fact]
    public void A_space_whose_objectives_are_all_computed_from_the_formula_has_nothing_to_predict()
    {
        string yaml = Head + "objectives: [complexity]\nsurrogate: {}\n";
        var e = Assert.Single(Errors(yaml));
        Assert.Contains("needs an objective that training measures", e.Message, StringComparison.Ordinal);
    }
}
