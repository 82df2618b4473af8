using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>The limits every genome the engine proposes keeps. Operators' children are checked against them.</summary>
public static class GenomeRules
{
    /// <summary>
    /// The size a genome is measured by against <see cref="GenomeOptions.MaxNodes"/>: distinct nodes for graphs
    /// (EvoNorms counts nodes of the DAG), nodes of the written-out tree for trees and core units (PySR's complexity).
    /// </summary>
    public static int SizeOf(Expr genome, GenomeOptions g) =>
        g.Representation == Representation.Graph ? genome.NodeCount() : genome.Size;

    /// <summary>Null when the genome keeps every rule, otherwise the first broken one in words.</summary>
    public static string? Violation(Expr genome, GenomeOptions g)
    {
        if (genome.Depth > g.MaxDepth) return $"depth {genome.Depth} exceeds {g.MaxDepth}";
        // Tree size first: it bounds the node count and is free to read.
        if (g.Representation != Representation.Graph && genome.Size > g.MaxNodes) return $"size {genome.Size} exceeds {g.MaxNodes}";
        var nodes = genome.Nodes();
        if (g.Representation == Representation.Graph && nodes.Count > g.MaxNodes) return $"{nodes.Count} nodes exceed {g.MaxNodes}";
        bool input = false;
        Dictionary<string, Parameter>? parameters = null;
        foreach (var n in nodes)
        {
            switch (n)
            {
                case Variable:
                    input = true;
                    break;
                case Parameter p:
                    parameters ??= new(StringComparer.Ordinal);
                    if (parameters.TryGetValue(p.Name, out var seen))
                    {
                        if (!seen.Equals(p)) return $"two different parameters are named '{p.Name}'";
                    }
                    else parameters[p.Name] = p;
                    break;
            }
        }
        if (!input) return "does not depend on x";
        int count = parameters?.Count ?? 0;
        if (count > g.MaxParameters) return $"{count} parameters exceed {g.MaxParameters}";
        return null;
    }

    public static bool IsValid(Expr genome, GenomeOptions g) => Violation(genome, g) is null;
}
