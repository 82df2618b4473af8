using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>Point mutation (EvoNorms / PANGAEA "change"): one place gets another primitive of the same arity, or another terminal.</summary>
public sealed class ChangeOp : IVariation
{
    public string Name => "change";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var v = Vocabulary.Of(g);
        var sites = TreePositions.All(parent);
        var site = rng.Choose(sites);
        Expr replacement = site.Node switch
        {
            Unary u => new Unary(v.SameKind(rng, u.Op), u.Arg),
            Binary b => new Binary(v.SameKind(rng, b.Op), b.Left, b.Right),
            Aggregate a => v.Node(v.SameKind(rng, a.Op), a.Arg),
            _ => new ParameterPool(v, parent).Terminal(rng),
        };
        return replacement.Equals(site.Node) ? null : TreePositions.ReplaceAt(parent, site.Index, replacement);
    }
}

/// <summary>EvoNorms' rewiring: one input of a node now reads another existing node (or x). Immutable nodes keep the graph acyclic.</summary>
public sealed class Rewire : IVariation
{
    public string Name => "rewire";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        if (parent.Size < 2) return null;
        int index = rng.NextInt(1, parent.Size - 1); // an input edge: every place but the root
        var current = TreePositions.At(parent, index);
        var targets = TreePositions.Attachable(parent, index);
        targets.RemoveAll(t => ReferenceEquals(t, current));
        if (targets.Count == 0) return null;
        return TreePositions.ReplaceAt(parent, index, rng.Choose(targets));
    }
}

/// <summary>EvoNorms / PANGAEA insertion: a new unary or binary node above one place; a binary's other input is a terminal or an existing node.</summary>
public sealed class Insert : IVariation
{
    public string Name => "insert";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var v = Vocabulary.Of(g);
        var op = v.AnyFunction(rng);
        if (op is null) return null;
        int index = rng.NextInt(parent.Size);
        var below = TreePositions.At(parent, index);
        Expr node;
        if (op.Kind == PrimitiveKind.Binary)
        {
            Expr second;
            if (g.Representation == Representation.Graph && rng.NextBool())
            {
                var existing = TreePositions.Attachable(parent, index);
                second = existing.Count > 0 ? rng.Choose(existing) : new ParameterPool(v, parent).Terminal(rng);
            }
            else second = new ParameterPool(v, parent).Terminal(rng);
            node = rng.NextBool() ? v.Node(op, below, second) : v.Node(op, second, below);
        }
        else node = v.Node(op, below);
        return TreePositions.ReplaceAt(parent, index, node);
    }
}

/// <summary>EvoNorms / PANGAEA removal: a node is replaced by one of its inputs.</summary>
public sealed class Remove : IVariation
{
    public string Name => "remove";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var internals = TreePositions.All(parent).Where(s => s.Node.Children.Length > 0).ToList();
        if (internals.Count == 0) return null;
        var site = rng.Choose(internals);
        var children = site.Node.Children;
        return TreePositions.ReplaceAt(parent, site.Index, children[rng.NextInt(children.Length)]);
    }
}

/// <summary>PANGAEA's regeneration: every operation re-drawn from its kind's primitives, the shape and the terminals kept.</summary>
public sealed class Regenerate : IVariation
{
    public string Name => "regenerate";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var v = Vocabulary.Of(g);
        if (parent.Children.Length == 0) return null;
        return parent.Rewrite(n => n switch
        {
            Unary u when v.Unary.Length > 0 => new Unary(rng.Choose(v.Unary), u.Arg),
            Binary b when v.Binary.Length > 0 => new Binary(rng.Choose(v.Binary), b.Left, b.Right),
            Aggregate a when v.Aggregates.Length > 0 => v.Node(rng.Choose(v.Aggregates), a.Arg),
            _ => n,
        });
    }
}

/// <summary>GP subtree mutation (DEAP's mutUniform): the subtree at a random place is replaced by a new random tree.</summary>
public sealed class SubtreeMutation : IVariation
{
    public string Name => "subtree";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var v = Vocabulary.Of(g);
        int index = rng.NextInt(parent.Size);
        int lo = Math.Max(1, g.MutationMinDepth), hi = Math.Max(lo, g.MutationMaxDepth);
        int depth = rng.NextInt(lo, hi);
        var tree = GenomeFactory.Tree(rng, v, new ParameterPool(v, parent), depth, g.MutationFullTrees);
        return TreePositions.ReplaceAt(parent, index, tree);
    }
}

/// <summary>GP hoist mutation: a subtree that reads x becomes the whole candidate (a remedy for bloat).</summary>
public sealed class Hoist : IVariation
{
    public string Name => "hoist";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var inner = TreePositions.All(parent)
            .Where(s => s.Index > 0 && s.Node.Children.Length > 0 && s.Node.DependsOnInput())
            .ToList();
        return inner.Count == 0 ? null : rng.Choose(inner).Node;
    }
}

/// <summary>
/// Constant and parameter perturbation (PySR's mutate_constant): one constant, or one parameter's initial
/// value everywhere it is used, moves by a Gaussian step relative to its size.
/// </summary>
public sealed class Perturb : IVariation
{
    public string Name => "perturb";

    public Expr? Apply(Rng rng, Expr parent, Expr? other, GenomeOptions g)
    {
        var numbers = TreePositions.All(parent).Where(s => s.Node is Constant or Parameter).ToList();
        if (numbers.Count == 0) return null;
        var site = rng.Choose(numbers);
        switch (site.Node)
        {
            case Constant c:
                return TreePositions.ReplaceAt(parent, site.Index, new Constant(Step(rng, c.Value, g.PerturbScale)));
            case Parameter p:
                var moved = p.WithInitial(Step(rng, p.Initial, g.PerturbScale));
                return parent.Rewrite(n => n is Parameter q && q.Name == p.Name ? moved : n);
            default:
                return null;
        }
    }

    private static double Step(Rng rng, double value, double scale) =>
        value + scale * Math.Max(Math.Abs(value), 0.1) * rng.NextGaussian();
}
