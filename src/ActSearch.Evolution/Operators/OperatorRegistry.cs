using System.Collections.Immutable;

namespace ActSearch.Evolution;

/// <summary>
/// A variation operator as search spaces name it: its field under <c>evolution.operators</c>, what it does, how its weight
/// is read from and written to <see cref="OperatorWeights"/>, and the operator itself.
/// </summary>
public sealed record OperatorDefinition(
    string Field, string Description, Func<OperatorWeights, double> Weight, Func<OperatorWeights, double, OperatorWeights> WithWeight,
    Func<IVariation> Create, bool IsCrossover = false);

/// <summary>
/// Every variation operator, declared once: <see cref="Variation"/> builds its operators from here and the search-space
/// reader takes its field names and weights from here. To add an operator: its class (an <see cref="IVariation"/>), its
/// weight on <see cref="OperatorWeights"/> and an entry here.
/// </summary>
public static class OperatorRegistry
{
    public static ImmutableArray<OperatorDefinition> All { get; } =
    [
        new("change_op", "another primitive of the same arity at one node (GP point mutation)", w => w.ChangeOp, (w, v) => w with { ChangeOp = v }, () => new ChangeOp()),
        new("rewire", "one input of a node reads another existing node (or x)", w => w.Rewire, (w, v) => w with { Rewire = v }, () => new Rewire()),
        new("insert", "a new unary or binary node above a node", w => w.Insert, (w, v) => w with { Insert = v }, () => new Insert()),
        new("remove", "a node replaced by one of its inputs", w => w.Remove, (w, v) => w with { Remove = v }, () => new Remove()),
        new("regenerate", "every operation re-drawn, keeping the shape", w => w.Regenerate, (w, v) => w with { Regenerate = v }, () => new Regenerate()),
        new("subtree", "a random subtree replaced by a new random tree", w => w.Subtree, (w, v) => w with { Subtree = v }, () => new SubtreeMutation()),
        new("crossover", "a subtree swapped in from another parent", w => w.Crossover, (w, v) => w with { Crossover = v }, () => new SubtreeCrossover(), IsCrossover: true),
        new("hoist", "a subtree becomes the whole candidate (fights bloat)", w => w.Hoist, (w, v) => w with { Hoist = v }, () => new Hoist()),
        new("perturb", "constants and parameter initial values perturbed (Gaussian, relative)", w => w.Perturb, (w, v) => w with { Perturb = v }, () => new Perturb()),
    ];

    /// <summary>The <c>evolution.operators</c> field names, in registry order.</summary>
    public static ImmutableArray<string> Fields { get; } = [.. All.Select(o => o.Field)];

    /// <summary>The sum of every operator's weight: 0 means no operator can make a child.</summary>
    public static double TotalWeight(OperatorWeights weights) => All.Sum(o => o.Weight(weights));
}
