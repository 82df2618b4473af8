using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// Breeds children with the weighted operators of <see cref="OperatorWeights"/> (made from <see cref="OperatorRegistry"/>:
/// the mutations in registry order, and the crossover). A child that breaks the
/// genome rules (size, depth, no x, parameter clash) is drawn again, up to
/// <see cref="GenomeOptions.MaxVariationAttempts"/> times; then the parent is cloned (DEAP's static limit
/// does the same). Children are returned with equal subgraphs shared, so a genome's node layout follows from
/// its structure alone and a checkpoint resumes exactly.
/// </summary>
public sealed class Variation
{
    public const string CloneName = "clone";

    private readonly IVariation[] _mutations;
    private readonly double[] _weights;
    private readonly IVariation? _crossover;

    public Variation(GenomeOptions genome, OperatorWeights weights)
    {
        Genome = genome;
        var on = OperatorRegistry.All.Where(o => !o.IsCrossover && o.Weight(weights) > 0).ToArray();
        _mutations = [.. on.Select(o => o.Create())];
        _weights = [.. on.Select(o => o.Weight(weights))];
        if (OperatorRegistry.All.FirstOrDefault(o => o.IsCrossover && o.Weight(weights) > 0) is { } crossover) _crossover = crossover.Create();
    }

    public GenomeOptions Genome { get; }

    public IReadOnlyList<IVariation> Mutations => _mutations;

    public bool CanCross => _crossover is not null;

    /// <summary>One child of one parent, by a weighted mutation; the parent itself ("clone") when every try failed.</summary>
    public Offspring Mutate(Rng rng, Expr parent)
    {
        for (int attempt = 0; attempt < Math.Max(1, Genome.MaxVariationAttempts); attempt++)
        {
            int k = rng.ChooseWeighted(_weights);
            if (k < 0) break;
            var child = Checked(_mutations[k].Apply(rng, parent, null, Genome));
            if (child is not null) return new Offspring(child, _mutations[k].Name);
        }
        return new Offspring(parent, CloneName);
    }

    /// <summary>One child of two parents by crossover; a mutation of the first parent when crossover keeps failing.</summary>
    public Offspring Cross(Rng rng, Expr first, Expr second)
    {
        if (_crossover is null) return Mutate(rng, first);
        for (int attempt = 0; attempt < Math.Max(1, Genome.MaxVariationAttempts); attempt++)
        {
            var child = Checked(_crossover.Apply(rng, first, second, Genome));
            if (child is not null) return new Offspring(child, _crossover.Name);
        }
        return Mutate(rng, first);
    }

    /// <summary>Shares equal subgraphs and checks the rules; null when the child is not allowed.</summary>
    public Expr? Checked(Expr? child)
    {
        if (child is null) return null;
        child = child.Share();
        return GenomeRules.IsValid(child, Genome) ? child : null;
    }
}
