using ActSearch.Expressions;

namespace ActSearch.Evaluation.Rejection;

/// <summary>Stage 1: limits on the graph alone (size, depth, complexity, parameters, primitives, dependence on x).</summary>
public sealed class StaticLimits(StaticLimitSettings settings) : IRejectionStage
{
    public string Name => StageNames.Static;

    public StaticLimitSettings Settings { get; } = settings;

    public string? Check(ChainCandidate candidate, CancellationToken cancellation)
    {
        var expr = candidate.Expr;
        var nodes = expr.Nodes();
        if (nodes.Count > Settings.MaxNodes) return $"has {nodes.Count} nodes (limit {Settings.MaxNodes})";
        if (expr.Depth > Settings.MaxDepth) return $"is {expr.Depth} levels deep (limit {Settings.MaxDepth})";
        if (expr.Complexity() > Settings.MaxComplexity) return $"has complexity {expr.Complexity()} (limit {Settings.MaxComplexity})";
        int parameters = expr.Parameters().Count;
        if (parameters > Settings.MaxParameters) return $"has {parameters} learnable parameters (limit {Settings.MaxParameters})";
        if (Settings.ForbiddenPrimitives.Count > 0)
        {
            var used = nodes.Select(n => n switch { Unary u => u.Op.Name, Binary b => b.Op.Name, Aggregate a => a.Op.Name, _ => null })
                .FirstOrDefault(name => name is not null && Settings.ForbiddenPrimitives.Contains(name));
            if (used is not null) return $"uses '{used}', which this search space forbids";
        }
        // On the formula as written, not its canonical form: "x - x" mentions x and is left to the numeric probe.
        if (Settings.RequireInput && !expr.DependsOnInput()) return "does not depend on x";
        return null;
    }
}
