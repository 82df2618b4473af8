using ActSearch.Evaluation.Rejection;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.SearchSpaces.Tests;

/// <summary>A file may leave out everything but name and kind; the defaults are the ones search-spaces/README.md documents.</summary>
public sealed class DefaultsTests
{
    [Fact]
    public void A_minimal_activation_space_gets_the_documented_defaults()
    {
        var s = SearchSpaceLoader.LoadFromText("name: minimal\nkind: activation\n", "m.yaml");
        var engine = new EvolutionOptions();
        Assert.Equal("m.yaml", s.Source);
        Assert.Equal(1UL, s.Seed);
        Assert.Equal("", s.Description);
        Assert.Equal("fmnist-mlp", Assert.Single(s.Tasks));
        Assert.Equal(new Objective("accuracy", ObjectiveDirection.Maximize, "fmnist-mlp"), Assert.Single(s.Evolution.Objectives));
        Assert.Equal(new Budget(Evaluations: 1000), s.Evolution.Budget);
        Assert.Equal(Representation.Tree, s.Evolution.Genome.Representation);
        Assert.Equal(ParameterShape.Scalar, s.Evolution.Genome.ParameterShape);
        Assert.Equal(engine.Genome.Unary.ToArray(), s.Evolution.Genome.Unary.ToArray());
        Assert.Empty(s.Evolution.Genome.Aggregates);
        // Spaces run steady state unless they ask for generations; the engine's own default is generational (its
        // in-process users); everything else about selection is the engine's default.
        Assert.Equal(engine.Selection with { Mode = EvolutionMode.SteadyState }, s.Evolution.Selection);
        Assert.Equal(EvolutionMode.Generational, SearchSpaceLoader.LoadFromText("name: g\nkind: activation\nevolution:\n  mode: generational\n", "g.yaml").Evolution.Selection.Mode);
        Assert.Equal(engine.Operators, s.Evolution.Operators);
        Assert.Equal(engine.ConstantOptimization, s.Evolution.ConstantOptimization);
        Assert.Equal(engine.FingerprintCacheSize, s.Evolution.FingerprintCacheSize);
        Assert.Equal(new QualityProbeSettings { Task = "fmnist-mlp", Steps = 100, MinAccuracy = 0.2 }, s.Rejection.Quality);
        Assert.Equal(new NumericProbeSettings(), s.Rejection.Numeric);
        Assert.Equal(new StaticLimitSettings { MaxNodes = engine.Genome.MaxNodes, MaxDepth = engine.Genome.MaxDepth, MaxParameters = 0 }, s.Rejection.Static);
        Assert.Empty(s.Seeds);
    }

    [Fact]
    public void A_minimal_layer_space_gets_evonorms_defaults()
    {
        var s = SearchSpaceLoader.LoadFromText("name: minimal\nkind: layer\n", "m.yaml");
        var g = s.Evolution.Genome;
        Assert.Equal("fmnist-resnet", Assert.Single(s.Tasks));
        Assert.Equal(Representation.Graph, g.Representation);
        Assert.Equal(ParameterShape.PerChannel, g.ParameterShape);
        Assert.Equal(SearchSpaceDefaults.LayerAggregates.ToArray(), g.Aggregates.ToArray());
        Assert.Equal(2, g.MaxParameters);
        Assert.Equal<double>([0, 1], g.ParameterInitials.ToArray());
    }

    [Fact]
    public void Seeds_in_a_layer_space_have_per_channel_parameters_unless_declared()
    {
        var s = SearchSpaceLoader.LoadFromText("name: l\nkind: layer\nseeds:\n  - x * sigmoid(v1 * x) + v0{0, scalar}\n", "l.yaml");
        var ps = s.Seeds.Single().Expr.Parameters().ToDictionary(p => p.Name);
        Assert.Equal(ParameterShape.PerChannel, ps["v1"].Shape);
        Assert.Equal(ParameterShape.Scalar, ps["v0"].Shape);
    }

    [Fact]
    public void Constant_optimization_is_on_when_its_section_is_present()
    {
        var s = SearchSpaceLoader.LoadFromText("name: r\nkind: activation\ntasks: [regression]\nobjectives: [loss@regression]\nevolution:\n  constant_optimization:\n    iterations: 5\n", "r.yaml");
        Assert.Equal(new ConstantOptimizationOptions { Enabled = true, Iterations = 5 }, s.Evolution.ConstantOptimization);
        Assert.Equal(new Objective("loss", ObjectiveDirection.Minimize, "regression"), Assert.Single(s.Evolution.Objectives));
    }

    [Fact]
    public void The_duplicate_cache_size_is_the_engines_fingerprint_cache()
    {
        var s = SearchSpaceLoader.LoadFromText("name: d\nkind: activation\nrejection:\n  duplicate: {cache_size: 500}\n", "d.yaml");
        Assert.Equal(500, s.Evolution.FingerprintCacheSize);
    }
}
