using ActSearch.Evolution;
using static ActSearch.SearchSpaces.Tests.ErrorReportingTests;

namespace ActSearch.SearchSpaces.Tests;

/// <summary>The <c>fidelity:</c> section: ASHA's rungs and eta, read into the engine's options, every mistake named at its text.</summary>
public sealed class FidelityTests
{
    private const string Head = "name: t\nkind: activation\ntasks: [fmnist-cnn]\n";

    [Fact]
    public void Rungs_and_eta_are_read_lowest_first()
    {
        var space = SearchSpaceLoader.LoadFromText(Head + """
            fidelity:
              eta: 4
              rungs:
                - {steps: 100}
                - {steps: 300}
                - {steps: 1000, seeds: 3}
            """, "t.yaml");
        var f = space.Evolution.Fidelity;
        Assert.True(f.Enabled);
        Assert.Equal(4, f.Eta);
        Assert.Equal([new FidelityRung(100), new FidelityRung(300), new FidelityRung(1000, 3)], f.Rungs.ToArray());
        Assert.Equal("1000 steps x 3 seeds", f.Rung(2).ToString());
    }

    [Fact]
    public void Without_the_section_there_is_one_rung_the_tasks_own_training()
    {
        var f = SearchSpaceLoader.LoadFromText(Head, "t.yaml").Evolution.Fidelity;
        Assert.False(f.Enabled);
        Assert.Equal(1, f.Count);
        Assert.Equal(new FidelityRung(), f.Rung(0));
        Assert.Equal(3, f.Eta);
    }

    [Fact]
    public void Eta_defaults_to_three_and_a_rung_may_add_seeds_to_the_tasks_own_steps()
    {
        var f = SearchSpaceLoader.LoadFromText(Head + "fidelity:\n  rungs: [{steps: 100}, {seeds: 1}, {seeds: 3}]\n", "t.yaml").Evolution.Fidelity;
        Assert.Equal(3, f.Eta);
        Assert.Equal([new FidelityRung(100), new FidelityRung(null, 1), new FidelityRung(null, 3)], f.Rungs.ToArray());
    }

    [Theory]
    [InlineData("fidelity:\n  rungs: [{steps: 100}]\n", "[{steps: 100}]", "at least two rungs")]
    [InlineData("fidelity:\n  eta: 3\n", "eta", "needs 'rungs'")]
    [InlineData("fidelity:\n  eta: 1\n  rungs: [{steps: 1}, {steps: 2}]\n", "1\n", "'fidelity.eta'")]
    [InlineData("fidelity:\n  rungs: [{steps: 300}, {steps: 100}]\n", "{steps: 100}", "must train more than the rung below it (300 steps)")]
    [InlineData("fidelity:\n  rungs: [{steps: 300, seeds: 3}, {steps: 1000}]\n", "{steps: 1000}", "none of them less")]
    [InlineData("fidelity:\n  rungs: [{steps: 300, data: full}, {steps: 1000}]\n", "{steps: 1000}", "must train more than the rung below it (300 steps on full data)")]
    [InlineData("fidelity:\n  rungs: [{steps: 300}, {steps: 900, data: all}]\n", "all", "'fidelity.rungs[1].data'")]
    [InlineData("fidelity:\n  rungs: [{steps: 300}, {steps: 300}]\n", "{steps: 300}]", "must train more")]
    [InlineData("fidelity:\n  rungs: [{steps: 0}, {steps: 300}]\n", "0}", "'fidelity.rungs[0].steps'")]
    [InlineData("fidelity:\n  rungs: [{steps: 100}, {}]\n", "{}", "needs 'steps', 'seeds' or both")]
    [InlineData("fidelity:\n  rungs: [{steps: 100}, {steps: 300}]\nevolution:\n  mode: generational\n", "generational", "needs 'evolution.mode: steady_state'")]
    public void Mistakes_are_named_at_their_text(string section, string at, string message)
    {
        string yaml = Head + section;
        var errors = Errors(yaml);
        var e = Assert.Single(errors);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, at), (e.Line, e.Column));
    }

    [Fact]
    public void A_minimum_accuracy_on_the_lowest_rung_makes_it_the_quality_probe_and_turns_the_separate_stage_off()
    {
        var space = SearchSpaceLoader.LoadFromText(Head + "fidelity:\n  rungs: [{steps: 100, min_accuracy: 0.2}, {steps: 300}]\n", "t.yaml");
        Assert.Equal(0.2, space.Evolution.Fidelity.Rung(0).MinAccuracy);
        Assert.False(space.Rejection.Quality.Enabled);
        Assert.Equal("100 steps, at least 20% accuracy", space.Evolution.Fidelity.Rung(0).ToString());
        Assert.True(SearchSpaceLoader.LoadFromText(Head + "fidelity:\n  rungs: [{steps: 100}, {steps: 300}]\n", "t.yaml").Rejection.Quality.Enabled);
    }

    [Theory]
    [InlineData("fidelity:\n  rungs: [{steps: 100}, {steps: 300, min_accuracy: 0.2}]\n", "min_accuracy", "only the lowest rung rejects by accuracy")]
    [InlineData("fidelity:\n  rungs: [{steps: 100, min_accuracy: 0.2}, {steps: 300}]\nrejection:\n  quality: {enabled: true}\n", "true", "every candidate trains twice")]
    [InlineData("fidelity:\n  rungs: [{steps: 100, min_accuracy: 1.5}, {steps: 300}]\n", "1.5", "'fidelity.rungs[0].min_accuracy'")]
    public void A_minimum_accuracy_elsewhere_or_beside_the_quality_stage_is_refused(string section, string at, string message)
    {
        string yaml = Head + section;
        var e = Error(yaml);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, at), (e.Line, e.Column));
    }

    [Fact]
    public void Promotion_ranks_by_the_objectives_training_measures_and_needs_one()
    {
        var space = SearchSpaceLoader.LoadFromText(Head + "objectives: [complexity, accuracy@fmnist-cnn, flops, latency]\nfidelity:\n  rungs: [{steps: 100}, {steps: 300}]\n", "t.yaml");
        Assert.Equal([1, 3], space.Evolution.Fidelity.PromoteBy.ToArray());

        string yaml = Head + "objectives: [complexity]\nfidelity:\n  rungs: [{steps: 100}, {steps: 300}]\n";
        var e = Error(yaml);
        Assert.Contains("needs an objective that training measures", e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, "rungs:"), (e.Line, e.Column));
    }

    [Fact]
    public void A_rung_may_train_on_the_tasks_full_data_which_counts_as_training_more()
    {
        var f = SearchSpaceLoader.LoadFromText(
            "name: t\nkind: activation\ntasks: [fmnist-mlp, fmnist-cnn]\nfidelity:\n  rungs: [{steps: 300}, {steps: 300, data: full}, {steps: 1000, data: full}]\n", "t.yaml")
            .Evolution.Fidelity;
        Assert.Equal([new FidelityRung(300), new FidelityRung(300, FullData: true), new FidelityRung(1000, FullData: true)], f.Rungs.ToArray());
        Assert.Equal("300 steps on full data", f.Rung(1).ToString());
        Assert.Equal(new FidelityRung(300), SearchSpaceLoader.LoadFromText(Head + "fidelity:\n  rungs: [{steps: 300, data: subset}, {steps: 900}]\n", "t.yaml").Evolution.Fidelity.Rung(0));
    }

    [Fact]
    public void Full_data_is_refused_for_tasks_that_have_none_naming_them_and_those_that_do()
    {
        string yaml = "name: t\nkind: activation\ntasks: [fmnist-mlp, tabular-mlp, charlm-glu]\nfidelity:\n  rungs: [{steps: 100}, {steps: 100, data: full}]\n";
        var e = Error(yaml);
        Assert.StartsWith("'fidelity.rungs[1].data': tasks tabular-mlp, charlm-glu have no full data set; full data exists for fmnist-mlp, fmnist-cnn,", e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, "full"), (e.Line, e.Column));
    }

    [Fact]
    public void A_misspelt_rung_field_gets_the_closest_name()
    {
        string yaml = Head + "fidelity:\n  rungs: [{steps: 100}, {step: 300}]\n";
        var e = Error(yaml);
        Assert.StartsWith("unknown field 'step' in 'fidelity.rungs[1]' (did you mean 'steps'?)", e.Message, StringComparison.Ordinal);
        Assert.Equal(At(yaml, "step:"), (e.Line, e.Column));
    }
}
