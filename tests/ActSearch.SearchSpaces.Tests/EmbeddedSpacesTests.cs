using ActSearch.Evaluation.Rejection;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.SearchSpaces.Tests;

public sealed class EmbeddedSpacesTests
{
    public static TheoryData<string> Names => new(["evonorm-b", "evonorm-s", "glu-core-unit", "gp-activation", "learned-core-unit", "pangaea", "robust-core-unit", "swish-core-unit"]);

    [Fact]
    public void The_five_paper_spaces_and_the_gated_transformer_space_are_embedded()
    {
        Assert.Equal(["evonorm-b", "evonorm-s", "glu-core-unit", "gp-activation", "learned-core-unit", "pangaea", "robust-core-unit", "swish-core-unit"], SearchSpaceLoader.ListEmbedded());
    }

    [Fact]
    public void Glu_core_unit_searches_the_gate_of_the_transformers_feed_forward_block_seeded_with_the_glu_variants()
    {
        var s = SearchSpaceLoader.LoadEmbedded("glu-core-unit");
        Assert.Equal(SearchSpaceKind.Activation, s.Kind);
        Assert.Equal<string>(["charlm-glu"], s.Tasks.ToArray());
        Assert.True(ActSearch.Evaluation.Tasks.TaskCatalog.Get("charlm-glu").GatedSlots);
        Assert.Equal(new Objective("loss", ObjectiveDirection.Minimize, "charlm-glu"), s.Evolution.Objectives[0]);
        Assert.Equal(EvolutionMode.SteadyState, s.Evolution.Selection.Mode);
        Assert.Equal(["swiglu", "reglu", "glu", "bilinear"], s.Seeds.Select(x => x.Name));
        Assert.False(s.Rejection.Quality.Enabled);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_embedded_space_loads_without_errors(string name)
    {
        Assert.True(SearchSpaceLoader.TryLoadFromText(SearchSpaceLoader.GetEmbeddedText(name), name + ".yaml", out var space, out var errors),
            string.Join("\n", errors));
        Assert.Equal(name, space.Name);
        Assert.NotEmpty(space.Description);
        Assert.NotEmpty(space.Seeds);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void The_files_in_the_repository_are_the_embedded_ones(string name)
    {
        var path = Path.Combine(RepositoryFiles.SearchSpaces, name + ".yaml");
        Assert.Equal(SearchSpaceLoader.LoadEmbedded(name) with { Source = "" }, SearchSpaceLoader.Load(path) with { Source = "" }, SpaceComparer.Instance);
    }

    [Fact]
    public void Swish_core_unit_is_ramachandrans_space_under_regularized_evolution()
    {
        var s = SearchSpaceLoader.LoadEmbedded("swish-core-unit");
        var g = s.Evolution.Genome;
        Assert.Equal(SearchSpaceKind.Activation, s.Kind);
        Assert.Equal(Representation.CoreUnit, g.Representation);
        Assert.Equal((1, 2), (g.MinCoreUnits, g.MaxCoreUnits));
        Assert.Subset(g.Unary.ToHashSet(), new HashSet<string> { "neg", "abs", "square", "cube", "exp", "sin", "cos", "tanh", "sigmoid", "erf", "softplus", "relu" });
        Assert.Equal<string>(["add", "sub", "mul", "div", "max", "min"], g.Binary.ToArray());
        Assert.Empty(g.Aggregates);
        Assert.Equal(1, g.MaxParameters);
        Assert.Equal(SelectionStrategy.Regularized, s.Evolution.Selection.Strategy);
        Assert.Equal<Objective>(
            [new Objective("accuracy", ObjectiveDirection.Maximize, "fmnist-cnn"), new Objective("complexity", ObjectiveDirection.Minimize)],
            s.Evolution.Objectives.ToArray());
        Assert.Equal<string>(["fmnist-mlp", "fmnist-cnn"], s.Tasks.ToArray());
        Assert.Equal(200, s.Evolution.Budget.Evaluations);
        Assert.True(s.Rejection.Numeric.Enabled && s.Rejection.Duplicate.Enabled && s.Rejection.Stability.Enabled && s.Rejection.Quality.Enabled);
        Assert.Equal(Expr.Call("mul", Expr.X, Expr.Call("sigmoid", Expr.Call("mul", new Parameter("beta"), Expr.X))),
            s.Seeds.Single(x => x.Name == "swish").Expr);
    }

    [Fact]
    public void Gp_activation_breeds_free_trees_with_nsga2()
    {
        var s = SearchSpaceLoader.LoadEmbedded("gp-activation");
        Assert.Equal(Representation.Tree, s.Evolution.Genome.Representation);
        Assert.Equal(SelectionStrategy.Nsga2, s.Evolution.Selection.Strategy);
        Assert.Contains(s.Evolution.Objectives, o => o is { Name: "accuracy", Direction: ObjectiveDirection.Maximize });
        Assert.Contains(s.Evolution.Objectives, o => o is { Name: "complexity", Direction: ObjectiveDirection.Minimize });
        Assert.Equal(new Budget(1000, TimeSpan.FromHours(2)), s.Evolution.Budget);
        Assert.True(s.Evolution.Operators.Crossover > 0 && s.Evolution.Operators.Subtree > 0);
    }

    [Fact]
    public void Pangaea_evolves_parametric_graphs_with_its_four_mutations()
    {
        var s = SearchSpaceLoader.LoadEmbedded("pangaea");
        var g = s.Evolution.Genome;
        Assert.Equal(Representation.Graph, g.Representation);
        Assert.True(g.MaxParameters > 0);
        Assert.Equal(ParameterShape.Scalar, g.ParameterShape);
        Assert.Equal(SelectionStrategy.Regularized, s.Evolution.Selection.Strategy);
        var ops = s.Evolution.Operators;
        Assert.True(ops.Insert > 0 && ops.Remove > 0 && ops.ChangeOp > 0 && ops.Regenerate > 0);
        Assert.Equal(0, ops.Crossover);
        Assert.Contains("deep-mlp", s.Tasks);
    }

    [Fact]
    public void Evonorm_b_is_the_batch_dependent_layer_space_of_14_nodes()
    {
        var s = SearchSpaceLoader.LoadEmbedded("evonorm-b");
        var g = s.Evolution.Genome;
        Assert.Equal(SearchSpaceKind.Layer, s.Kind);
        Assert.Equal(Representation.Graph, g.Representation);
        Assert.Equal(14, g.MaxNodes);
        Assert.Equal(ParameterShape.PerChannel, g.ParameterShape);
        Assert.Equal<double>([0.0, 1.0], g.ParameterInitials.ToArray());
        Assert.Equal(2, g.MaxParameters);
        foreach (var axes in new[] { "batch", "layer", "instance", "group" })
            Assert.Contains(g.Aggregates, a => a.StartsWith(axes + "_", StringComparison.Ordinal));
        Assert.Subset(g.Unary.Concat(g.Binary).ToHashSet(),
            new HashSet<string> { "add", "mul", "div", "max", "neg", "sigmoid", "tanh", "exp", "slog", "abs", "square", "ssqrt" });
        Assert.Equal(SelectionStrategy.MultiObjectiveTournament, s.Evolution.Selection.Strategy);
        Assert.Equal<string>(["fmnist-resnet", "fmnist-cnn"], s.Tasks.ToArray());
        Assert.Equal(new QualityProbeSettings { Task = "fmnist-resnet", Steps = 100, MinAccuracy = 0.2 }, s.Rejection.Quality);
        Assert.True(s.Rejection.Stability.Enabled);

        var b0 = s.Seeds.Single(x => x.Name == "evonorm-b0").Expr;
        Assert.True(b0.HasAggregates());
        Assert.All(b0.Parameters(), p => Assert.Equal(ParameterShape.PerChannel, p.Shape));
        Assert.True(GenomeRules.IsValid(b0, g));
    }

    [Fact]
    public void Evonorm_s_has_no_batch_statistics()
    {
        var s = SearchSpaceLoader.LoadEmbedded("evonorm-s");
        var g = s.Evolution.Genome;
        Assert.Equal(SearchSpaceKind.Layer, s.Kind);
        Assert.Equal(14, g.MaxNodes);
        Assert.NotEmpty(g.Aggregates);
        Assert.DoesNotContain(g.Aggregates, a => a.StartsWith("batch_", StringComparison.Ordinal));
        var s0 = s.Seeds.Single(x => x.Name == "evonorm-s0").Expr;
        Assert.Equal("x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)", s.Seeds.Single(x => x.Name == "evonorm-s0").Text);
        Assert.Contains(s0.Nodes(), n => n is Aggregate { Groups: 32 });
        Assert.All(s.Seeds, seed => Assert.DoesNotContain(seed.Expr.Nodes(), n => n is Aggregate a && a.Op.Axes == AggregateAxes.Batch));
        Assert.Equal(s.Seeds.Select(x => x.Expr), s.Evolution.InitialGenomes); // the search starts from them
    }
}

/// <summary>Compares search spaces by value, including the immutable arrays records compare by reference.</summary>
internal sealed class SpaceComparer : IEqualityComparer<SearchSpace>
{
    public static readonly SpaceComparer Instance = new();

    public bool Equals(SearchSpace? a, SearchSpace? b) => a is not null && b is not null && Describe(a) == Describe(b);

    public int GetHashCode(SearchSpace s) => Describe(s).GetHashCode(StringComparison.Ordinal);

    private static string Describe(SearchSpace s) => System.Text.Json.JsonSerializer.Serialize(new
    {
        s.Name, s.Description, s.Kind, s.Seed, s.Tasks, s.Rejection,
        Genome = s.Evolution.Genome, s.Evolution.Operators, s.Evolution.Selection, s.Evolution.ConstantOptimization,
        Objectives = s.Evolution.Objectives.Select(o => o.Key + o.Direction), s.Evolution.Budget, s.Evolution.FingerprintCacheSize,
        Seeds = s.Seeds.Select(x => $"{x.Name}={x.Text}={x.Expr}"),
    }, Json);

    // The quality probe's MaxLoss is +Infinity by default.
    private static readonly System.Text.Json.JsonSerializerOptions Json =
        new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}

internal static class RepositoryFiles
{
    /// <summary>The repository's search-spaces folder, found by walking up from the test binaries.</summary>
    public static string SearchSpaces { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "search-spaces");
            if (File.Exists(Path.Combine(candidate, "evonorm-b.yaml"))) return candidate;
        }
        throw new DirectoryNotFoundException("search-spaces/ not found above " + AppContext.BaseDirectory);
    }
}
