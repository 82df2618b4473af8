using System.Collections.Immutable;

namespace ActSearch.Expressions;

/// <summary>Walks, measures and rewrites expression graphs. Shared nodes are visited once.</summary>
public static class ExprGraph
{
    /// <summary>Distinct nodes in post-order (children before parents, left to right); the root is last.</summary>
    public static IReadOnlyList<Expr> Nodes(this Expr root)
    {
        var order = new List<Expr>();
        var seen = new HashSet<Expr>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Expr Node, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (node, expanded) = stack.Pop();
            if (expanded)
            {
                order.Add(node);
                continue;
            }
            if (!seen.Add(node)) continue;
            stack.Push((node, true));
            var children = node.Children;
            for (int i = children.Length - 1; i >= 0; i--)
                if (!seen.Contains(children[i])) stack.Push((children[i], false));
        }
        return order;
    }

    /// <summary>Number of distinct nodes (EvoNorms' graph size).</summary>
    public static int NodeCount(this Expr root) => root.Nodes().Count;

    /// <summary>Complexity as PySR counts it: nodes of the written-out tree.</summary>
    public static int Complexity(this Expr root) => root.Size;

    /// <summary>Nominal FLOPs per element: each distinct operation counted once (shared nodes are computed once).</summary>
    public static double Flops(this Expr root) => root.Nodes().Sum(n => n switch
    {
        Unary u => u.Op.Flops,
        Binary b => b.Op.Flops,
        Aggregate a => a.Op.Flops,
        _ => 0,
    });

    /// <summary>Distinct learnable parameters (the <see cref="Parameter"/> nodes) in first-use order; learned units' coefficients are not among them.</summary>
    public static IReadOnlyList<Parameter> Parameters(this Expr root)
    {
        if (!root.ContainsParameters) return [];
        var list = new List<Parameter>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in root.Nodes())
            if (n is Parameter p && names.Add(p.Name)) list.Add(p);
        return list;
    }

    /// <summary>
    /// The parameters a CPU evaluation takes values for (<see cref="CompiledExpr.Parameters"/>): the graph's parameters,
    /// then each learned unit's coefficients as scalar parameters named <c>rational0_p3</c>, <c>spline0_w</c>, ...
    /// </summary>
    public static IReadOnlyList<Parameter> ParametersWithCoefficients(this Expr root)
    {
        var units = root.LearnedUnits();
        return units.Count == 0 ? root.Parameters() : [.. root.Parameters(), .. units.SelectMany(u => u.Coefficients)];
    }

    /// <summary>
    /// The learned units of the graph (<see cref="Primitive.Unit"/>), one per distinct subgraph (structurally equal uses are
    /// one unit with one set of coefficients, as they are one computation), in post-order, named per family in that order:
    /// <c>rational0</c>, <c>rational1</c>, <c>spline0</c>. Every compiler names the unit's coefficients from this list.
    /// </summary>
    public static IReadOnlyList<LearnedNode> LearnedUnits(this Expr root)
    {
        if (!root.ContainsLearnedUnits) return [];
        var list = new List<LearnedNode>();
        var seen = new HashSet<Expr>();
        var perFamily = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in root.Nodes())
        {
            if (n is not Unary { Op.Unit: { } unit } u || !seen.Add(u)) continue;
            int k = perFamily.GetValueOrDefault(unit.Family);
            perFamily[unit.Family] = k + 1;
            list.Add(new LearnedNode(u, unit, $"{unit.Family}{k}"));
        }
        return list;
    }

    /// <summary>
    /// The graph with every learned unit's coefficients taken from <paramref name="values"/> (by the names of
    /// <see cref="LearnedNode.Coefficients"/>; units without values keep theirs): how fitted or trained coefficients are kept.
    /// </summary>
    public static Expr WithUnitCoefficients(this Expr root, IReadOnlyDictionary<string, double> values)
    {
        var shared = root.Share();
        var units = shared.LearnedUnits();
        // Outermost first: replacing a unit keeps its argument's nodes, so the inner units are still found by reference.
        for (int i = units.Count - 1; i >= 0; i--)
        {
            var u = units[i];
            var names = u.Coefficients;
            if (!names.All(p => values.ContainsKey(p.Name))) continue;
            var unit = u.Unit.WithCoefficients([.. names.Select(p => values[p.Name])]);
            shared = shared.Replace(u.Node, new Unary(unit.Primitive, u.Node.Arg));
        }
        return shared;
    }

    /// <summary>Learnable numbers of the formula: its parameters (one each, per-channel ones too) and every learned unit's coefficients (all groups).</summary>
    public static int ParameterCount(this Expr root) => root.Parameters().Count + root.LearnedUnits().Sum(u => u.Unit.ParameterCount);

    /// <summary>True when the graph contains a tensor statistic (a normalization-activation layer).</summary>
    public static bool HasAggregates(this Expr root) => root.ContainsAggregates;

    /// <summary>True when <c>x</c> occurs in the graph.</summary>
    public static bool DependsOnInput(this Expr root) => root.ContainsInput;

    /// <summary>
    /// Rebuilds the graph bottom-up, replacing each node by <paramref name="rewrite"/>(node with rewritten
    /// children). Shared nodes stay shared.
    /// </summary>
    public static Expr Rewrite(this Expr root, Func<Expr, Expr> rewrite)
    {
        var done = new Dictionary<Expr, Expr>(ReferenceEqualityComparer.Instance);
        foreach (var node in root.Nodes())
        {
            var children = node.Children;
            Expr rebuilt = node;
            if (children.Length > 0)
            {
                var builder = ImmutableArray.CreateBuilder<Expr>(children.Length);
                foreach (var c in children) builder.Add(done[c]);
                rebuilt = node.WithChildren(builder.MoveToImmutable());
            }
            done[node] = rewrite(rebuilt);
        }
        return done[root];
    }

    /// <summary>Replaces one node (by reference) everywhere it occurs.</summary>
    public static Expr Replace(this Expr root, Expr target, Expr replacement)
    {
        var done = new Dictionary<Expr, Expr>(ReferenceEqualityComparer.Instance) { [target] = replacement };
        foreach (var node in root.Nodes())
        {
            if (done.ContainsKey(node)) continue;
            var children = node.Children;
            if (children.Length == 0)
            {
                done[node] = node;
                continue;
            }
            var builder = ImmutableArray.CreateBuilder<Expr>(children.Length);
            foreach (var c in children) builder.Add(done[c]);
            done[node] = node.WithChildren(builder.MoveToImmutable());
        }
        return done[root];
    }

    /// <summary>Merges structurally equal subgraphs into one shared node (hash-consing).</summary>
    public static Expr Share(this Expr root)
    {
        var pool = new Dictionary<Expr, Expr>();
        return root.Rewrite(n => pool.TryGetValue(n, out var existing) ? existing : pool[n] = n);
    }
}

/// <summary>A learned unit of a graph: its node, the unit, and the name its coefficients go by (<c>rational0</c>).</summary>
public sealed class LearnedNode(Unary node, LearnedUnit unit, string name)
{
    public Unary Node { get; } = node;

    public LearnedUnit Unit { get; } = unit;

    public string Name { get; } = name;

    /// <summary>The coefficients as scalar parameters at their initial values, named <c>{Name}_{coefficient}</c>.</summary>
    public IReadOnlyList<Parameter> Coefficients => _coefficients ??=
        [.. Unit.CoefficientNames.Select((c, i) => new Parameter($"{Name}_{c}", Unit.Initial[i]))];

    private IReadOnlyList<Parameter>? _coefficients;
}
