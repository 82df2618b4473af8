using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

/// <summary>Seeded random graphs over every primitive, for the property tests (kept independent of Evolution).</summary>
internal sealed class RandomGraphs(int seed, bool withAggregates = false)
{
    private readonly Random _rng = new(seed);
    private static readonly Primitive[] Unaries = [.. PrimitiveRegistry.Default.Unary];
    private static readonly Primitive[] Binaries = [.. PrimitiveRegistry.Default.Binary];
    private static readonly Primitive[] Aggregates = [.. PrimitiveRegistry.Default.Aggregates];
    private static readonly double[] Constants = [0, 1, -1, 0.5, 2, 3, -2.5, 1e-5, 0.044715, Math.PI, 1e12, -0.125];

    public Expr Next(int maxDepth = 6)
    {
        var shared = new List<Expr>();
        return Grow(maxDepth, shared);
    }

    private Expr Grow(int depth, List<Expr> shared)
    {
        if (shared.Count > 0 && _rng.NextDouble() < 0.1) return shared[_rng.Next(shared.Count)]; // node sharing
        if (depth <= 1 || _rng.NextDouble() < 0.25) return Leaf();
        Expr e;
        double pick = _rng.NextDouble();
        if (withAggregates && pick < 0.15)
        {
            var op = Aggregates[_rng.Next(Aggregates.Length)];
            e = new Aggregate(op, Grow(depth - 1, shared), op.Axes == AggregateAxes.Group ? (_rng.Next(2) == 0 ? 32 : 16) : 0);
        }
        else if (pick < 0.5) e = new Unary(Unaries[_rng.Next(Unaries.Length)], Grow(depth - 1, shared));
        else e = new Binary(Binaries[_rng.Next(Binaries.Length)], Grow(depth - 1, shared), Grow(depth - 1, shared));
        shared.Add(e);
        return e;
    }

    private Expr Leaf() => _rng.Next(5) switch
    {
        0 or 1 => Expr.X,
        2 => new Constant(Constants[_rng.Next(Constants.Length)] * (_rng.Next(4) == 0 ? _rng.NextDouble() : 1)),
        3 => new Parameter("beta", 1.5),
        // One name, one declaration: v0 starts at 0 and v1 at 1, as in EvoNorms.
        _ => _rng.Next(2) == 0
            ? new Parameter("v0", 0, withAggregates ? ParameterShape.PerChannel : ParameterShape.Scalar)
            : new Parameter("v1", 1, withAggregates ? ParameterShape.PerChannel : ParameterShape.Scalar),
    };
}
