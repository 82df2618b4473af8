using System.Runtime.CompilerServices;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>The primitives and terminals a <see cref="GenomeOptions"/> allows, resolved once against the registry.</summary>
internal sealed class Vocabulary
{
    private static readonly ConditionalWeakTable<GenomeOptions, Vocabulary> Cache = new();

    private Vocabulary(GenomeOptions g)
    {
        var r = PrimitiveRegistry.Default;
        Options = g;
        Unary = [.. g.Unary.Select(n => Resolve(r, n, PrimitiveKind.Unary))];
        Binary = [.. g.Binary.Select(n => Resolve(r, n, PrimitiveKind.Binary))];
        Aggregates = [.. g.Aggregates.Select(n => Resolve(r, n, PrimitiveKind.Aggregate))];
        Constants = [.. g.Constants];
        Initials = g.ParameterInitials.IsDefaultOrEmpty ? [1.0] : [.. g.ParameterInitials];
        int terminalKinds = 1 + (Constants.Length > 0 ? 1 : 0) + (g.MaxParameters > 0 ? 1 : 0);
        int functions = Unary.Length + Binary.Length + Aggregates.Length;
        // DEAP's grow: a terminal is picked with the share terminals have among all symbols.
        TerminalRatio = functions == 0 ? 1 : terminalKinds / (double)(terminalKinds + functions);
    }

    public static Vocabulary Of(GenomeOptions g) => Cache.GetValue(g, static o => new Vocabulary(o));

    public GenomeOptions Options { get; }

    public Primitive[] Unary { get; }

    public Primitive[] Binary { get; }

    public Primitive[] Aggregates { get; }

    public double[] Constants { get; }

    public double[] Initials { get; }

    public double TerminalRatio { get; }

    public int FunctionCount => Unary.Length + Binary.Length + Aggregates.Length;

    /// <summary>A primitive of any kind, uniformly over all allowed primitives; null when there are none.</summary>
    public Primitive? AnyFunction(Rng rng)
    {
        int n = FunctionCount;
        if (n == 0) return null;
        int i = rng.NextInt(n);
        if (i < Unary.Length) return Unary[i];
        i -= Unary.Length;
        return i < Binary.Length ? Binary[i] : Aggregates[i - Binary.Length];
    }

    /// <summary>A one-input primitive (unary or aggregate); null when there are none.</summary>
    public Primitive? OneInput(Rng rng)
    {
        int n = Unary.Length + Aggregates.Length;
        if (n == 0) return null;
        int i = rng.NextInt(n);
        return i < Unary.Length ? Unary[i] : Aggregates[i - Unary.Length];
    }

    /// <summary>Another primitive of the same kind as <paramref name="op"/> (itself only when it is the only one).</summary>
    public Primitive SameKind(Rng rng, Primitive op)
    {
        var pool = op.Kind switch
        {
            PrimitiveKind.Unary => Unary,
            PrimitiveKind.Binary => Binary,
            _ => Aggregates,
        };
        if (pool.Length == 0 || (pool.Length == 1 && ReferenceEquals(pool[0], op))) return op;
        while (true)
        {
            var other = pool[rng.NextInt(pool.Length)];
            if (!ReferenceEquals(other, op)) return other;
        }
    }

    /// <summary>Builds a node; group aggregates take the configured group count.</summary>
    public Expr Node(Primitive op, Expr a, Expr? b = null) => op.Kind switch
    {
        PrimitiveKind.Unary => new Unary(op, a),
        PrimitiveKind.Binary => new Binary(op, a, b ?? throw new ArgumentNullException(nameof(b))),
        _ => new Aggregate(op, a, op.Axes == AggregateAxes.Group ? Options.Groups : 0),
    };

    private static Primitive Resolve(PrimitiveRegistry r, string name, PrimitiveKind kind)
    {
        var p = r.Get(name);
        return p.Kind == kind ? p : throw new ArgumentException($"'{name}' is a {p.Kind} primitive, listed as {kind}.");
    }
}
