using System.Collections.Immutable;

namespace ActSearch.Expressions;

/// <summary>How a learnable parameter is shaped inside a network.</summary>
public enum ParameterShape
{
    /// <summary>One number for the whole layer (PANGAEA, Swish's beta).</summary>
    Scalar,

    /// <summary>One number per channel, broadcast over N, H, W (EvoNorms' v0, v1).</summary>
    PerChannel,
}

/// <summary>
/// A node of an immutable expression graph. Children are shared by reference, so a graph is a DAG;
/// equality is structural and the structural hash is computed once per node (cheap on shared DAGs).
/// <see cref="ToString"/> prints the text form, which <see cref="ExprParser"/> reads back.
/// </summary>
public abstract class Expr : IEquatable<Expr>
{
    private readonly ulong _hash;
    private readonly Contents _contents;

    /// <summary>What a subgraph contains, kept per node so the common questions cost nothing.</summary>
    [Flags]
    private protected enum Contents : byte
    {
        None = 0,
        Input = 1,
        Parameter = 2,
        Aggregate = 4,
        Learned = 8,
    }

    private protected Expr(ulong hash, int size, int depth, Contents contents)
    {
        _hash = hash;
        Size = size;
        Depth = depth;
        _contents = contents;
    }

    private protected static Contents Of(Expr e) => e._contents;

    /// <summary>True when x occurs in this subgraph.</summary>
    public bool ContainsInput => (_contents & Contents.Input) != 0;

    /// <summary>True when a learnable parameter, or a learned unit's coefficients, occur in this subgraph.</summary>
    public bool ContainsParameters => (_contents & Contents.Parameter) != 0;

    /// <summary>True when a learned unit (<see cref="Primitive.Unit"/>) occurs in this subgraph.</summary>
    public bool ContainsLearnedUnits => (_contents & Contents.Learned) != 0;

    /// <summary>True when a tensor statistic occurs in this subgraph (a normalization-activation layer).</summary>
    public bool ContainsAggregates => (_contents & Contents.Aggregate) != 0;

    /// <summary>A stable 64-bit structural hash (the same in every process and on every machine).</summary>
    public ulong StructuralHash => _hash;

    /// <summary>Number of nodes when the graph is written out as a tree (PySR's complexity).</summary>
    public int Size { get; }

    /// <summary>Longest path from this node to a leaf, counting nodes (a leaf has depth 1).</summary>
    public int Depth { get; }

    /// <summary>The inputs of this node, left to right.</summary>
    public abstract ImmutableArray<Expr> Children { get; }

    /// <summary>Returns a node of the same kind with other inputs (same count).</summary>
    public abstract Expr WithChildren(ImmutableArray<Expr> children);

    public bool Equals(Expr? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._hash != _hash || other.GetType() != GetType() || other.Size != Size) return false;
        return EqualsSameKind(other);
    }

    private protected abstract bool EqualsSameKind(Expr other);

    public override bool Equals(object? obj) => obj is Expr e && Equals(e);

    public override int GetHashCode() => (int)(_hash ^ (_hash >> 32));

    public static bool operator ==(Expr? a, Expr? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(Expr? a, Expr? b) => !(a == b);

    /// <summary>The text form (infix, round-trips through the parser).</summary>
    public override string ToString() => TextPrinter.Print(this);

    // Building helpers: keep call sites short in tests, operators and the parser.
    public static Expr X => Variable.Instance;

    public static Constant Const(double value) => new(value);

    public static Expr Call(string primitive, params Expr[] args) => Call(PrimitiveRegistry.Default.Get(primitive), args);

    public static Expr Call(Primitive op, params Expr[] args) => op.Kind switch
    {
        PrimitiveKind.Unary when args.Length == 1 => new Unary(op, args[0]),
        PrimitiveKind.Binary when args.Length == 2 => new Binary(op, args[0], args[1]),
        PrimitiveKind.Aggregate when args.Length == 1 => new Aggregate(op, args[0], op.Axes == AggregateAxes.Group ? Aggregate.DefaultGroups : 0),
        _ => throw new ArgumentException($"'{op.Name}' takes {op.Arity} argument(s), got {args.Length}.", nameof(args)),
    };

    internal static ulong Mix(ulong h, ulong v)
    {
        // A 64-bit multiply-xorshift mix (splitmix64 finalizer over a running combine).
        h ^= v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
        h ^= h >> 30; h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27; h *= 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return h;
    }

    internal static ulong HashString(string s)
    {
        ulong h = 0xCBF29CE484222325UL; // FNV-1a: stable across processes, unlike string.GetHashCode.
        foreach (char c in s)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        return h;
    }
}

/// <summary>The input <c>x</c>: a scalar for activations, the layer input tensor for layers.</summary>
public sealed class Variable : Expr
{
    public static readonly Variable Instance = new();

    private Variable() : base(Mix(1, 0x78), 1, 1, Contents.Input) { }

    public override ImmutableArray<Expr> Children => [];

    public override Expr WithChildren(ImmutableArray<Expr> children) => this;

    private protected override bool EqualsSameKind(Expr other) => true;
}

/// <summary>A fixed number. Canonical forms fold constant subexpressions into one of these.</summary>
public sealed class Constant : Expr
{
    public Constant(double value) : base(Mix(2, BitConverter.DoubleToUInt64Bits(value == 0 ? 0.0 : value)), 1, 1, Contents.None) => Value = value;

    public double Value { get; }

    public override ImmutableArray<Expr> Children => [];

    public override Expr WithChildren(ImmutableArray<Expr> children) => this;

    // 0.0 and -0.0 are the same constant; every NaN is the same constant.
    private protected override bool EqualsSameKind(Expr other) =>
        ((Constant)other).Value.Equals(Value) || (((Constant)other).Value == 0 && Value == 0);
}

/// <summary>
/// A learnable parameter: trained by gradient descent inside the proxy network (PANGAEA, EvoNorms),
/// fixed at <see cref="Initial"/> for fingerprints and CPU evaluation unless values are given.
/// </summary>
public sealed class Parameter : Expr
{
    public Parameter(string name, double initial = 1.0, ParameterShape shape = ParameterShape.Scalar)
        : base(Mix(Mix(Mix(3, HashString(name)), BitConverter.DoubleToUInt64Bits(initial)), (ulong)shape), 1, 1, Contents.Parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Initial = initial;
        Shape = shape;
    }

    public string Name { get; }

    public double Initial { get; }

    public ParameterShape Shape { get; }

    public override ImmutableArray<Expr> Children => [];

    public override Expr WithChildren(ImmutableArray<Expr> children) => this;

    public Parameter WithInitial(double initial) => new(Name, initial, Shape);

    private protected override bool EqualsSameKind(Expr other)
    {
        var p = (Parameter)other;
        return p.Name == Name && p.Initial.Equals(Initial) && p.Shape == Shape;
    }
}

/// <summary>An element-wise primitive with one input.</summary>
public sealed class Unary : Expr
{
    public Unary(Primitive op, Expr arg)
        : base(Mix(Mix(4, op.NameHash), arg.StructuralHash), arg.Size + 1, arg.Depth + 1,
               op.Unit is null ? Of(arg) : Of(arg) | Contents.Learned | Contents.Parameter)
    {
        if (op.Kind != PrimitiveKind.Unary) throw new ArgumentException($"'{op.Name}' is not a unary primitive.", nameof(op));
        Op = op;
        Arg = arg;
    }

    public Primitive Op { get; }

    public Expr Arg { get; }

    // Built on first use and kept: traversals ask for children all the time (a benign race at worst).
    public override ImmutableArray<Expr> Children => _children.IsDefault ? _children = [Arg] : _children;

    private ImmutableArray<Expr> _children;

    public override Expr WithChildren(ImmutableArray<Expr> children) =>
        ReferenceEquals(children[0], Arg) ? this : new Unary(Op, children[0]);

    private protected override bool EqualsSameKind(Expr other)
    {
        var u = (Unary)other;
        // Learned units are primitives built from a spec: two builds of one spec are the same unit.
        return (ReferenceEquals(u.Op, Op) || (u.Op.Unit is not null && Op.Unit is not null && u.Op.Name == Op.Name)) && u.Arg.Equals(Arg);
    }
}

/// <summary>An element-wise primitive with two inputs.</summary>
public sealed class Binary : Expr
{
    public Binary(Primitive op, Expr left, Expr right)
        : base(Mix(Mix(Mix(5, op.NameHash), left.StructuralHash), right.StructuralHash),
               checked(left.Size + right.Size + 1), Math.Max(left.Depth, right.Depth) + 1, Of(left) | Of(right))
    {
        if (op.Kind != PrimitiveKind.Binary) throw new ArgumentException($"'{op.Name}' is not a binary primitive.", nameof(op));
        Op = op;
        Left = left;
        Right = right;
    }

    public Primitive Op { get; }

    public Expr Left { get; }

    public Expr Right { get; }

    public override ImmutableArray<Expr> Children => _children.IsDefault ? _children = [Left, Right] : _children;

    private ImmutableArray<Expr> _children;

    public override Expr WithChildren(ImmutableArray<Expr> children) =>
        ReferenceEquals(children[0], Left) && ReferenceEquals(children[1], Right) ? this : new Binary(Op, children[0], children[1]);

    private protected override bool EqualsSameKind(Expr other)
    {
        var b = (Binary)other;
        return ReferenceEquals(b.Op, Op) && b.Left.Equals(Left) && b.Right.Equals(Right);
    }
}

/// <summary>
/// A statistic of the input over explicit axes of an NCHW (or NC) tensor, broadcast back to the input's
/// shape: the building block of normalization layers (EvoNorms). Group aggregates split C into
/// <see cref="Groups"/> groups.
/// </summary>
public sealed class Aggregate : Expr
{
    /// <summary>EvoNorms' default group count.</summary>
    public const int DefaultGroups = 32;

    public Aggregate(Primitive op, Expr arg, int groups = 0)
        : base(Mix(Mix(Mix(6, op.NameHash), arg.StructuralHash), (ulong)groups), arg.Size + 1, arg.Depth + 1, Of(arg) | Contents.Aggregate)
    {
        if (op.Kind != PrimitiveKind.Aggregate) throw new ArgumentException($"'{op.Name}' is not an aggregate.", nameof(op));
        if (op.Axes == AggregateAxes.Group ? groups < 1 : groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, op.Axes == AggregateAxes.Group
                ? "A group aggregate needs at least one group." : "Only group aggregates take a group count.");
        Op = op;
        Arg = arg;
        Groups = groups;
    }

    public Primitive Op { get; }

    public Expr Arg { get; }

    /// <summary>Number of channel groups (group aggregates only; 0 otherwise).</summary>
    public int Groups { get; }

    public override ImmutableArray<Expr> Children => _children.IsDefault ? _children = [Arg] : _children;

    private ImmutableArray<Expr> _children;

    public override Expr WithChildren(ImmutableArray<Expr> children) =>
        ReferenceEquals(children[0], Arg) ? this : new Aggregate(Op, children[0], Groups);

    private protected override bool EqualsSameKind(Expr other)
    {
        var a = (Aggregate)other;
        return ReferenceEquals(a.Op, Op) && a.Groups == Groups && a.Arg.Equals(Arg);
    }
}
