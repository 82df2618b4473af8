using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

public class OperatorTests
{
    public static TheoryData<string> Spaces => ["tree", "core-unit", "graph", "layer"];

    internal static GenomeOptions Space(string name) => name switch
    {
        "tree" => new GenomeOptions { Representation = Representation.Tree, MaxParameters = 2, MaxNodes = 20, MaxDepth = 7 },
        "core-unit" => new GenomeOptions
        {
            Representation = Representation.CoreUnit, MaxParameters = 1, MaxNodes = 20, MaxDepth = 8, MaxCoreUnits = 3,
        },
        "graph" => new GenomeOptions
        {
            Representation = Representation.Graph, MaxParameters = 3, ParameterInitials = [0, 1], MaxNodes = 14, MaxDepth = 9,
        },
        _ => new GenomeOptions // EvoNorms' layer space: statistics, per-channel v0 = 0 and v1 = 1, at most 14 nodes
        {
            Representation = Representation.Graph,
            Unary = ["neg", "sigmoid", "tanh", "exp", "slog", "abs", "square", "ssqrt"],
            Binary = ["add", "mul", "div", "max"],
            Aggregates = ["batch_mean", "batch_var", "instance_var", "group_var", "layer_m2"],
            Groups = 8,
            Constants = [],
            MaxParameters = 2,
            ParameterInitials = [0, 1],
            ParameterShape = ParameterShape.PerChannel,
            MaxNodes = 14,
            MaxDepth = 10,
        },
    };

    [Theory]
    [MemberData(nameof(Spaces))]
    public void Initial_genomes_keep_the_limits_and_read_x(string space)
    {
        var g = Space(space);
        var rng = new Rng(1);
        var distinct = new HashSet<Expr>();
        for (int i = 0; i < 2000; i++)
        {
            var genome = GenomeFactory.Create(rng, g);
            Assert.Null(GenomeRules.Violation(genome, g));
            distinct.Add(genome);
        }
        Assert.True(distinct.Count > 500, $"only {distinct.Count} distinct initial genomes");
    }

    [Fact]
    public void Core_units_are_binaries_of_unaries_chained_through_their_first_operand()
    {
        var g = Space("core-unit") with { MinCoreUnits = 2, MaxCoreUnits = 2, CoreUnitIdentity = false };
        var rng = new Rng(2);
        for (int i = 0; i < 200; i++)
        {
            var genome = GenomeFactory.Create(rng, g);
            var top = Assert.IsType<Binary>(genome);
            Assert.All(top.Children, c => Assert.IsType<Unary>(c));
            // One operand of the outer unit reads the inner unit.
            Assert.Contains(top.Children, c => c.Children[0] is Binary);
        }
    }

    [Theory]
    [MemberData(nameof(Spaces))]
    public void Every_operator_gives_well_formed_children_on_thousands_of_random_parents(string space)
    {
        var g = Space(space);
        var rng = new Rng(3);
        var variation = new Variation(g, new OperatorWeights());
        IVariation[] operators = [.. variation.Mutations, new SubtreeCrossover()];
        var applied = operators.ToDictionary(o => o.Name, _ => 0);
        var parents = Enumerable.Range(0, 64).Select(_ => GenomeFactory.Create(rng, g)).ToList();
        for (int round = 0; round < 3000; round++)
        {
            var parent = rng.Choose(parents);
            var other = rng.Choose(parents);
            foreach (var op in operators)
            {
                var child = op.Apply(rng, parent, other, g);
                if (child is null) continue;
                applied[op.Name]++;
                // Raw children may break size limits (the pipeline retries those) but never the graph's own rules.
                AssertParametersConsistent(child);
                Assert.NotNull(CompiledExpr.Compile(child));
            }
            // What the pipeline hands out keeps every rule.
            var bred = rng.NextBool() ? variation.Mutate(rng, parent) : variation.Cross(rng, parent, other);
            Assert.Null(GenomeRules.Violation(bred.Genome, g));
            AssertParametersConsistent(bred.Genome);
            parents[rng.NextInt(parents.Count)] = bred.Genome; // parents drift, as in a search
        }
        foreach (var (name, count) in applied)
            Assert.True(count > 100, $"{name} applied only {count} times in {space}");
    }

    [Fact]
    public void Change_keeps_the_arity_of_the_node_it_changes()
    {
        var g = new GenomeOptions { MaxParameters = 0 };
        var parent = ExprParser.Parse("tanh(x) * x");
        var rng = new Rng(4);
        for (int i = 0; i < 500; i++)
        {
            var child = new ChangeOp().Apply(rng, parent, null, g);
            if (child is null) continue;
            Assert.Equal(parent.Size, child.Size);
            Assert.Equal(parent.Depth, child.Depth);
        }
    }

    [Fact]
    public void Remove_replaces_a_node_by_one_of_its_inputs_and_hoist_returns_a_subtree()
    {
        var g = new GenomeOptions();
        var parent = ExprParser.Parse("exp(tanh(x) + 2)");
        var rng = new Rng(5);
        var subtrees = parent.Nodes().ToHashSet();
        for (int i = 0; i < 200; i++)
        {
            var removed = new Remove().Apply(rng, parent, null, g)!;
            Assert.Contains(removed.ToString(), new[] { "tanh(x) + 2", "exp(tanh(x))", "exp(2)", "exp(x + 2)" });
            var hoisted = new Hoist().Apply(rng, parent, null, g)!;
            Assert.Contains(hoisted, subtrees);
            Assert.NotEqual(parent, hoisted);
        }
    }

    [Fact]
    public void Crossover_renames_a_donated_parameter_whose_name_means_something_else_in_the_receiver()
    {
        var g = new GenomeOptions { MaxParameters = 4 };
        var receiver = new Binary(PrimitiveRegistry.Default.Get("mul"), new Parameter("v0", 1.0), Expr.X);
        var donor = new Unary(PrimitiveRegistry.Default.Get("tanh"), new Binary(PrimitiveRegistry.Default.Get("add"), new Parameter("v0", 0.0), Expr.X));
        var child = SubtreeCrossover.Graft(receiver, 2, donor, g); // replaces the x of the receiver
        AssertParametersConsistent(child);
        Assert.Equal(["v0", "v1"], child.Parameters().Select(p => p.Name).Order());
        Assert.Equal(0.0, child.Parameters().Single(p => p.Name == "v1").Initial);
    }

    [Fact]
    public void Rewire_points_an_input_at_a_node_that_already_exists()
    {
        var g = new GenomeOptions { Representation = Representation.Graph };
        var parent = ExprParser.Parse("sigmoid(x) * tanh(sigmoid(x) + 1)").Share();
        var leaves = parent.Nodes().Where(n => n.Children.Length == 0).ToHashSet();
        var ops = parent.Nodes().OfType<Unary>().Select(u => u.Op.Name).Concat(parent.Nodes().OfType<Binary>().Select(b => b.Op.Name)).ToHashSet();
        var rng = new Rng(6);
        int changed = 0;
        for (int i = 0; i < 300; i++)
        {
            var child = new Rewire().Apply(rng, parent, null, g);
            if (child is null) continue;
            changed += child.Equals(parent) ? 0 : 1;
            // Nothing new is made: every leaf and every operation of the child was in the parent.
            Assert.All(child.Nodes().Where(n => n.Children.Length == 0), l => Assert.Contains(l, leaves));
            Assert.All(child.Nodes().OfType<Unary>(), u => Assert.Contains(u.Op.Name, ops));
            Assert.True(child.Depth <= 2 * parent.Depth, $"{child} is far deeper than {parent}");
        }
        Assert.True(changed > 200);
    }

    [Fact]
    public void Perturb_moves_one_parameter_everywhere_it_is_used()
    {
        var g = new GenomeOptions { Constants = [], MaxParameters = 1 };
        var v = new Parameter("v0", 1.0);
        var mul = PrimitiveRegistry.Default.Get("mul");
        var parent = new Binary(mul, new Binary(mul, v, Expr.X), new Unary(PrimitiveRegistry.Default.Get("sigmoid"), new Binary(mul, v, Expr.X)));
        var child = new Perturb().Apply(new Rng(7), parent, null, g)!;
        var moved = child.Nodes().OfType<Parameter>().ToList();
        Assert.Single(moved.Select(p => p.Initial).Distinct());
        Assert.NotEqual(1.0, moved[0].Initial);
    }

    [Fact]
    public void A_child_that_cannot_keep_the_limits_is_a_clone_of_its_parent()
    {
        // x at depth 1 is the only genome that fits: every operator's child breaks a limit.
        var g = new GenomeOptions { MaxDepth = 1, MaxNodes = 1, Constants = [], MaxParameters = 0 };
        var onlyInsert = new OperatorWeights
        {
            ChangeOp = 0, Rewire = 0, Insert = 1, Remove = 0, Regenerate = 0, Subtree = 0, Crossover = 0, Hoist = 0, Perturb = 0,
        };
        var child = new Variation(g, onlyInsert).Mutate(new Rng(8), Expr.X);
        Assert.Equal(Variation.CloneName, child.Operator);
        Assert.Same(Expr.X, child.Genome);
    }

    internal static void AssertParametersConsistent(Expr genome)
    {
        foreach (var group in genome.Nodes().OfType<Parameter>().GroupBy(p => p.Name))
            Assert.Single(group.Distinct());
    }
}

/// <summary>The operator and strategy registries: one entry per operator and per strategy value, and what they make.</summary>
public sealed class RegistryTests
{
    [Fact]
    public void Every_strategy_value_has_one_entry_that_makes_it()
    {
        Assert.Equal(Enum.GetValues<SelectionStrategy>(), StrategyRegistry.All.Select(s => s.Value).Order());
        foreach (var s in StrategyRegistry.All)
            Assert.Equal(s.Name, ISelectionStrategy.For(new SelectionOptions { Strategy = s.Value }).Name);
    }

    [Fact]
    public void Variation_makes_the_weighted_mutations_in_registry_order_and_the_crossover_apart()
    {
        var weights = new OperatorWeights();
        foreach (var op in OperatorRegistry.All) weights = op.WithWeight(weights, 0);
        weights = weights with { Perturb = 2, ChangeOp = 1, Crossover = 1 };
        var variation = new Variation(new GenomeOptions(), weights);
        Assert.Equal(["change", "perturb"], variation.Mutations.Select(m => m.Name));
        Assert.True(variation.CanCross);
        Assert.Equal(4, OperatorRegistry.TotalWeight(weights));
    }
}
