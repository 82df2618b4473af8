using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>Random genomes for the first generation and for the random-search baseline.</summary>
public static class GenomeFactory
{
    private const int MaxAttempts = 200;

    /// <summary>
    /// A random genome of the configured representation that keeps <see cref="GenomeRules"/>. After
    /// <c>200</c> failed draws (limits too tight for the primitive set) it returns <c>x</c>, which always does.
    /// </summary>
    public static Expr Create(Rng rng, GenomeOptions g)
    {
        var v = Vocabulary.Of(g);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var genome = g.Representation switch
            {
                Representation.Tree => RampedTree(rng, v),
                Representation.CoreUnit => CoreUnits(rng, v),
                _ => RandomGraph(rng, v),
            };
            if (genome is null) break;
            genome = genome.Share();
            if (GenomeRules.IsValid(genome, g)) return genome;
        }
        return Expr.X;
    }

    /// <summary>Koza's ramped half-and-half: a depth in [InitMinDepth, InitMaxDepth], full or grow with equal odds.</summary>
    internal static Expr RampedTree(Rng rng, Vocabulary v)
    {
        var g = v.Options;
        int lo = Math.Max(1, g.InitMinDepth), hi = Math.Max(lo, g.InitMaxDepth);
        int depth = rng.NextInt(lo, hi);
        bool full = rng.NextBool();
        return Tree(rng, v, new ParameterPool(v), depth, full, lo);
    }

    /// <summary>
    /// A random tree of at most <paramref name="depth"/> levels (DEAP's genFull / genGrow): full trees put
    /// terminals only at the bottom; grown ones may stop early once <paramref name="minDepth"/> is reached.
    /// </summary>
    internal static Expr Tree(Rng rng, Vocabulary v, ParameterPool pool, int depth, bool full, int minDepth = 1)
    {
        if (depth <= 1 || v.FunctionCount == 0) return pool.Terminal(rng);
        if (!full && minDepth <= 1 && rng.NextDouble() < v.TerminalRatio) return pool.Terminal(rng);
        var op = v.AnyFunction(rng)!;
        var a = Tree(rng, v, pool, depth - 1, full, minDepth - 1);
        return op.Kind == PrimitiveKind.Binary
            ? v.Node(op, a, Tree(rng, v, pool, depth - 1, full, minDepth - 1))
            : v.Node(op, a);
    }

    /// <summary>
    /// Ramachandran et al.'s core units, repeated: unit = binary(unary(a), unary(b)) where a is x (first unit)
    /// or the previous unit and b is x, a constant or a parameter; operands are swapped half the time so
    /// non-commutative binaries see both orders, and the identity counts as one of the unary functions.
    /// </summary>
    internal static Expr? CoreUnits(Rng rng, Vocabulary v)
    {
        var g = v.Options;
        if (v.Binary.Length == 0) return null;
        var pool = new ParameterPool(v);
        int units = rng.NextInt(Math.Max(1, g.MinCoreUnits), Math.Max(g.MinCoreUnits, g.MaxCoreUnits));
        Expr previous = Expr.X;
        for (int i = 0; i < units; i++)
        {
            Expr a = previous;
            Expr b = rng.NextInt(3) == 0 ? Expr.X : pool.NonInputTerminal(rng);
            Expr ua = UnaryOrIdentity(rng, v, a), ub = UnaryOrIdentity(rng, v, b);
            if (rng.NextBool()) (ua, ub) = (ub, ua);
            previous = new Binary(rng.Choose(v.Binary), ua, ub);
        }
        return previous;
    }

    private static Expr UnaryOrIdentity(Rng rng, Vocabulary v, Expr a)
    {
        int choices = v.Unary.Length + (v.Options.CoreUnitIdentity || v.Unary.Length == 0 ? 1 : 0);
        int k = rng.NextInt(choices);
        return k < v.Unary.Length ? new Unary(v.Unary[k], a) : a;
    }

    /// <summary>
    /// A random DAG (PANGAEA, EvoNorms): nodes are added one at a time, each reading the newest node or any
    /// earlier one, so later nodes share earlier ones; the last node is the output.
    /// </summary>
    internal static Expr? RandomGraph(Rng rng, Vocabulary v)
    {
        var g = v.Options;
        if (v.FunctionCount == 0) return null;
        var pool = new ParameterPool(v);
        var nodes = new List<Expr> { Expr.X };
        int lo = Math.Max(1, g.InitMinDepth), hi = Math.Max(lo, Math.Min(g.MaxNodes - 1, 3 * g.InitMaxDepth));
        int operations = rng.NextInt(lo, Math.Max(lo, hi));
        for (int i = 0; i < operations; i++)
        {
            var op = v.AnyFunction(rng)!;
            Expr a = rng.NextBool() ? nodes[^1] : rng.Choose(nodes);
            Expr node;
            if (op.Kind == PrimitiveKind.Binary)
            {
                Expr b;
                if (rng.NextDouble() < 0.3)
                {
                    b = pool.NonInputTerminal(rng);
                    nodes.Add(b);
                }
                else b = rng.Choose(nodes);
                if (rng.NextBool()) (a, b) = (b, a);
                node = v.Node(op, a, b);
            }
            else node = v.Node(op, a);
            nodes.Add(node);
        }
        return nodes[^1];
    }
}
