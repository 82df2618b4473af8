using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// GP subtree crossover (DEAP's cxOnePoint): the subtree at a random place of the first parent is replaced
/// by a random subtree of the second. The donor's parameters are renamed where their names would clash
/// with a different parameter of the receiver.
/// </summary>
public sealed class SubtreeCrossover : IVariation
{
    public string Name => "crossover";

    public bool NeedsSecondParent => true;

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        if (other is null) return null;
        int at = PickPlace(rng, parent);
        var donor = TreePositions.At(other, PickPlace(rng, other));
        return Graft(parent, at, donor, g);
    }

    /// <summary>Both children of one-point crossover: the two subtrees at random places swap parents.</summary>
    public static (Expr First, Expr Second) Swap(Rng rng, Expr a, Expr b, GenomeOptions g)
    {
        int ia = PickPlace(rng, a), ib = PickPlace(rng, b);
        var sa = TreePositions.At(a, ia);
        var sb = TreePositions.At(b, ib);
        return (Graft(a, ia, sb, g), Graft(b, ib, sa, g));
    }

    // DEAP never picks the root of a tree with more than one node.
    private static int PickPlace(Rng rng, Expr e) => e.Size < 2 ? 0 : rng.NextInt(1, e.Size - 1);

    internal static Expr Graft(Expr receiver, int index, Expr donor, GenomeOptions g)
    {
        var donorParameters = donor.Parameters();
        if (donorParameters.Count > 0)
        {
            var pool = new ParameterPool(Vocabulary.Of(g), receiver);
            var own = receiver.Parameters().ToDictionary(p => p.Name, StringComparer.Ordinal);
            foreach (var p in donorParameters) pool.Add(p);
            var renamed = new Dictionary<string, Parameter>(StringComparer.Ordinal);
            foreach (var p in donorParameters)
                if (own.TryGetValue(p.Name, out var mine) && !mine.Equals(p))
                {
                    var fresh = new Parameter(pool.FreshName(), p.Initial, p.Shape);
                    pool.Add(fresh);
                    renamed[p.Name] = fresh;
                }
            if (renamed.Count > 0)
                donor = donor.Rewrite(n => n is Parameter q && renamed.TryGetValue(q.Name, out var r) ? r : n);
        }
        return TreePositions.ReplaceAt(receiver, index, donor);
    }
}
