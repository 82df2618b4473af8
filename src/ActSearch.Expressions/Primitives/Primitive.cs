namespace ActSearch.Expressions;

public enum PrimitiveKind
{
    /// <summary>Element-wise, one input.</summary>
    Unary,

    /// <summary>Element-wise, two inputs.</summary>
    Binary,

    /// <summary>A statistic over tensor axes, broadcast back (normalization layers only).</summary>
    Aggregate,
}

/// <summary>The axes of an NCHW tensor an aggregate reduces over.</summary>
public enum AggregateAxes
{
    None,

    /// <summary>(N, H, W): one statistic per channel, as batch normalization.</summary>
    Batch,

    /// <summary>(C, H, W): one statistic per sample, as layer normalization.</summary>
    Layer,

    /// <summary>(H, W): one statistic per sample and channel, as instance normalization.</summary>
    Instance,

    /// <summary>(C/g, H, W): one statistic per sample and channel group, as group normalization.</summary>
    Group,
}

/// <summary>Which statistic an aggregate computes. Variance is the biased (population) variance, as BN uses.</summary>
public enum Statistic
{
    None,
    Mean,

    /// <summary>Mean of squares, E[x^2].</summary>
    SecondMoment,
    Variance,

    /// <summary>sqrt(Variance), no epsilon: write <c>sqrt(batch_var(x) + 1e-5)</c> for a guarded one.</summary>
    Std,
}

/// <summary>Writes f(x) for every element of <paramref name="x"/> into <paramref name="y"/>.</summary>
public delegate void SpanUnaryKernel(ReadOnlySpan<double> x, Span<double> y);

/// <summary>Writes f(a, b) element-wise into <paramref name="y"/>.</summary>
public delegate void SpanBinaryKernel(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y);

/// <summary>
/// One primitive, described as data: everything that parses, prints, evaluates, differentiates, costs
/// or lowers a primitive reads it from here, so adding a primitive is one registry entry.
/// Out-of-domain inputs give NaN (or ±Inf), never an exception, as SymbolicRegression.jl's safe operators.
/// </summary>
public sealed class Primitive
{
    public required string Name { get; init; }

    public required PrimitiveKind Kind { get; init; }

    public int Arity => Kind == PrimitiveKind.Binary ? 2 : 1;

    /// <summary>Where the primitive is finite, in words (shown by docs and `actsearch expr --format json`).</summary>
    public required string Domain { get; init; }

    /// <summary>Nominal floating-point operations per element (transcendentals count as ~10).</summary>
    public required double Flops { get; init; }

    /// <summary>One-line description for docs and the web UI.</summary>
    public string Description { get; init; } = "";

    /// <summary>Scalar kernel of a unary primitive.</summary>
    public Func<double, double>? Apply1 { get; init; }

    /// <summary>Scalar kernel of a binary primitive.</summary>
    public Func<double, double, double>? Apply2 { get; init; }

    /// <summary>Vectorized kernel of a unary primitive (defaults to a loop over <see cref="Apply1"/>).</summary>
    public SpanUnaryKernel? Vector1 { get; init; }

    /// <summary>Vectorized kernel of a binary primitive (defaults to a loop over <see cref="Apply2"/>).</summary>
    public SpanBinaryKernel? Vector2 { get; init; }

    /// <summary>f'(a) of a unary primitive.</summary>
    public Func<double, double>? Derivative1 { get; init; }

    /// <summary>∂f/∂a of a binary primitive at (a, b).</summary>
    public Func<double, double, double>? DerivativeLeft { get; init; }

    /// <summary>∂f/∂b of a binary primitive at (a, b).</summary>
    public Func<double, double, double>? DerivativeRight { get; init; }

    /// <summary>Infix symbol (<c>+ - * / ^</c>) for binary operators written between their operands.</summary>
    public string? Symbol { get; init; }

    /// <summary>Binding strength of an infix symbol: 1 for + -, 2 for * /, 4 for ^.</summary>
    public int Precedence { get; init; }

    /// <summary>Right-associative infix operator (only ^).</summary>
    public bool RightAssociative { get; init; }

    /// <summary>f(a, b) = f(b, a): the canonical form sorts the operands.</summary>
    public bool Commutative { get; init; }

    /// <summary>f(f(a, b), c) = f(a, f(b, c)): the canonical form flattens and sorts chains.</summary>
    public bool Associative { get; init; }

    // Templates: "{0}" and "{1}" stand for the operands; every other character, braces included, is literal.

    /// <summary>LaTeX template; {0}, {1} are the operands (already bracketed where the template needs it).</summary>
    public required string Latex { get; init; }

    /// <summary>
    /// True when the template places operands inside its own delimiters (a function call);
    /// false when the printer must bracket compound operands (as for <c>{0}^{2}</c>).
    /// </summary>
    public bool LatexDelimitsOperands { get; init; } = true;

    /// <summary>PyTorch expression template over tensors named {0}, {1}.</summary>
    public required string PyTorch { get; init; }

    /// <summary>TorchSharp C# expression template over tensors named {0}, {1}.</summary>
    public required string TorchSharp { get; init; }

    /// <summary>SymPy expression template over symbols {0}, {1}.</summary>
    public required string SymPy { get; init; }

    /// <summary>The statistic of an aggregate.</summary>
    public Statistic Statistic { get; init; }

    /// <summary>The axes of an aggregate.</summary>
    public AggregateAxes Axes { get; init; }

    /// <summary>
    /// The learned unit this primitive is (<c>rational{5,4}</c>, <c>spline{3,8}</c>), whose coefficients every compiler makes
    /// learnable; null for the fixed primitives. The kernels above compute the unit at its initial coefficients.
    /// </summary>
    public LearnedUnit? Unit { get; init; }

    internal ulong NameHash => _nameHash ??= Expr.HashString(Name);

    private ulong? _nameHash;

    /// <summary>Applies the vector kernel (or the scalar loop) to a span.</summary>
    public void Apply(ReadOnlySpan<double> x, Span<double> y)
    {
        if (Vector1 is { } v)
        {
            v(x, y);
            return;
        }
        var f = Apply1 ?? throw new InvalidOperationException($"'{Name}' has no unary kernel.");
        for (int i = 0; i < x.Length; i++) y[i] = f(x[i]);
    }

    /// <summary>Applies the vector kernel (or the scalar loop) to two spans.</summary>
    public void Apply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y)
    {
        if (Vector2 is { } v)
        {
            v(a, b, y);
            return;
        }
        var f = Apply2 ?? throw new InvalidOperationException($"'{Name}' has no binary kernel.");
        for (int i = 0; i < a.Length; i++) y[i] = f(a[i], b[i]);
    }

    /// <summary>Fills a template's {0} and {1} with the operands in one pass (operand text is never re-read).</summary>
    public static string Fill(string template, params ReadOnlySpan<string> operands)
    {
        var sb = new System.Text.StringBuilder(template.Length + 16);
        for (int i = 0; i < template.Length; i++)
        {
            if (template[i] == '{' && i + 2 < template.Length && template[i + 2] == '}' && template[i + 1] is '0' or '1'
                && template[i + 1] - '0' < operands.Length)
            {
                sb.Append(operands[template[i + 1] - '0']);
                i += 2;
            }
            else sb.Append(template[i]);
        }
        return sb.ToString();
    }

    public override string ToString() => Name;
}
