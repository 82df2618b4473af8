using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// One variation operator: takes the generator first and a parent, returns a new child (genomes are
/// immutable), or null when it does not apply to this parent (a constant perturbation of a graph with no
/// constants, say). Children may break the limits; <see cref="Variation"/> checks and retries.
/// </summary>
public interface IVariation
{
    /// <summary>The name candidates record as their operator ("change", "crossover", ...).</summary>
    string Name { get; }

    /// <summary>True for operators that need a second parent.</summary>
    bool NeedsSecondParent => false;

    Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g);
}

/// <summary>A child and the operator that made it.</summary>
public readonly record struct Offspring(Expr Genome, string Operator);
