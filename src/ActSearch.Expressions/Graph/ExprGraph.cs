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

    /// <summary>Distinct learnable parameters in first-use order.</summary>
    public static IReadOnlyList<Parameter> Parameters(this Expr root)
    {
        if (!root.ContainsParameters) return [];
        var list = new List<Parameter>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in root.Nodes())
            if (n is Parameter p && names.Add(p.Name)) list.Add(p);
        return list;
    }

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
