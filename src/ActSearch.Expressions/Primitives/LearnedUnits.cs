using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ActSearch.Expressions;

/// <summary>A learned unit's spec that does not read; <see cref="Position"/> is the 0-based offset in the spec text.</summary>
public sealed class LearnedUnitSpecException(string message, int position) : FormatException(message)
{
    public int Position { get; } = position;
}

/// <summary>
/// A function family whose coefficients are learned rather than searched: <c>rational{m, n}</c>, Padé activation units
/// (Molina et al., ICLR 2020; grouped as in KAT, Yang and Wang, ICLR 2025), and <c>spline{k, grid}</c>, KAN's B-spline
/// activation with its SiLU residual (Liu et al. 2024). A unit is a unary <see cref="Primitive"/> (so searches, parsers and
/// storage treat it as one) whose <see cref="Primitive.Unit"/> holds the coefficients' initial values; every compiler
/// gives it learnable coefficients, named per unit in the graph (<see cref="ExprGraph.LearnedUnits"/>), and the duplicate
/// check and the parameter counts treat them as parameters. Fixed functions of the family at the initial coefficients
/// are what the CPU kernels (<see cref="Primitive.Apply1"/>) compute.
/// <para>
/// Specs are written <c>rational{5, 4}</c>, <c>rational{5, 4, init=gelu, groups=8}</c>, <c>spline{3, 8, range=2}</c>, or with
/// explicit coefficients <c>coef=[...]</c> in <see cref="CoefficientNames"/> order. Instances are shared per canonical spec
/// (<see cref="Spec"/>) when fitted, so the least-squares fit of <c>init=</c> runs once per process; nodes compare units by spec.
/// </para>
/// </summary>
public abstract class LearnedUnit
{
    /// <summary>Points of the least-squares fit of <c>init=</c> over <see cref="FitInterval"/>.</summary>
    public const int FitPoints = 1201;

    private static readonly ConcurrentDictionary<string, LearnedUnit> Known = new(StringComparer.Ordinal);
    private Primitive? _primitive;

    private protected LearnedUnit(string spec, ImmutableArray<double> initial, string? init, double fitError, int groups)
    {
        Spec = spec;
        Initial = initial;
        Init = init;
        FitError = fitError;
        Groups = groups;
    }

    /// <summary>The family names, as written before the braces.</summary>
    public static IReadOnlyList<string> Families { get; } = ["rational", "spline"];

    /// <summary>"rational" or "spline".</summary>
    public abstract string Family { get; }

    /// <summary>The canonical spec, which is also the primitive's name: <c>rational{5,4}</c>, <c>spline{3,8,init=relu}</c>.</summary>
    public string Spec { get; }

    /// <summary>Initial coefficients in <see cref="CoefficientNames"/> order.</summary>
    public ImmutableArray<double> Initial { get; }

    /// <summary>The known function the coefficients were fitted to (<see cref="KnownFunctions"/>); null when they were given.</summary>
    public string? Init { get; }

    /// <summary>Root-mean-square error of that fit over <see cref="FitInterval"/> (<see cref="FitPoints"/> points); NaN when coefficients were given.</summary>
    public double FitError { get; }

    /// <summary>Coefficient sets over the channels (KAT's groups: channel c uses set c / (C / groups)); 1 for one set per layer.</summary>
    public int Groups { get; }

    /// <summary>Coefficients of one set.</summary>
    public int Count => Initial.Length;

    /// <summary>Learnable numbers per layer: <see cref="Count"/> times <see cref="Groups"/>.</summary>
    public int ParameterCount => Count * Groups;

    /// <summary>The family and shape without the coefficients (<c>rational{5,4,groups=8}</c>): what the fingerprint adds for a unit.</summary>
    public abstract string ShapeKey { get; }

    /// <summary>The interval the fit of <c>init=</c> covers.</summary>
    public abstract (double Lo, double Hi) FitInterval { get; }

    /// <summary>Short names of the coefficients (<c>p0</c>.. and <c>q1</c>.. of a rational; <c>w</c> and <c>c0</c>.. of a spline).</summary>
    public abstract IReadOnlyList<string> CoefficientNames { get; }

    /// <summary>Nominal floating-point operations per element (as <see cref="Primitive.Flops"/> counts them).</summary>
    public abstract double Flops { get; }

    /// <summary>One line on what the unit computes, for docs, `actsearch expr` and the web UI.</summary>
    public abstract string Description { get; }

    /// <summary>The same unit with other coefficients (given, so the spec carries them: <c>coef=[...]</c>).</summary>
    public LearnedUnit WithCoefficients(ReadOnlySpan<double> c)
    {
        if (c.Length != Count) throw new ArgumentException($"{Spec} has {Count} coefficients, got {c.Length}.", nameof(c));
        return Parse($"{ShapeKey[..^1]},coef=[{string.Join(",", c.ToArray().Select(Number))}]}}");
    }

    /// <summary>f(x) with coefficients <paramref name="c"/> (one set, <see cref="Count"/> values).</summary>
    public abstract double Evaluate(ReadOnlySpan<double> c, double x);

    /// <summary>f'(x) with coefficients <paramref name="c"/>.</summary>
    public abstract double Derivative(ReadOnlySpan<double> c, double x);

    /// <summary>Adds <paramref name="upstream"/> times the gradient of f(x) with respect to each coefficient into <paramref name="dc"/>.</summary>
    public abstract void AddCoefficientGradient(ReadOnlySpan<double> c, double x, double upstream, Span<double> dc);

    /// <summary>f(x) for every element of <paramref name="x"/>.</summary>
    public void Evaluate(ReadOnlySpan<double> c, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = Evaluate(c, x[i]);
    }

    /// <summary>The unary primitive of this unit (built once).</summary>
    public Primitive Primitive => _primitive ??= Build();

    public override string ToString() => Spec;

    /// <summary>True when <paramref name="identifier"/> names a family (it is then not a parameter name).</summary>
    public static bool IsFamily(string identifier) => identifier is "rational" or "spline";

    /// <summary>True when <paramref name="text"/> is written as a unit spec (a family name and a brace).</summary>
    public static bool IsSpec(string text)
    {
        int brace = text.IndexOf('{');
        return brace > 0 && IsFamily(text[..brace].TrimEnd());
    }

    /// <summary>Reads a spec (<c>rational{5, 4, init=gelu}</c>); a malformed one throws <see cref="LearnedUnitSpecException"/>.</summary>
    public static LearnedUnit Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spec = SpecReader.Read(text);
        string canonical = spec.Canonical();
        // Fitted units are shared (the fit runs once per process); units with given coefficients are built each time, as
        // cheap as reading them, so that a curve fit producing new coefficients at every step fills no cache. Formulas
        // compare units by their spec (Unary's equality), so two builds of one spec are the same node.
        return spec.Coefficients.IsDefault ? Known.GetOrAdd(canonical, c => spec.Build(c)) : spec.Build(canonical);
    }

    /// <summary>The primitive of a spec, or false (with the reason) when it does not read.</summary>
    public static bool TryResolve(string text, out Primitive primitive, out string? error)
    {
        primitive = null!;
        error = null;
        if (!IsSpec(text))
        {
            error = $"'{text}' is not a learned unit spec.";
            return false;
        }
        try
        {
            primitive = Parse(text).Primitive;
            return true;
        }
        catch (LearnedUnitSpecException e)
        {
            error = e.Message;
            return false;
        }
    }

    private Primitive Build()
    {
        var initial = Initial;
        return new Primitive
        {
            Name = Spec,
            Kind = PrimitiveKind.Unary,
            Domain = "all reals",
            Flops = Flops,
            Description = Description,
            Apply1 = x => Evaluate(initial.AsSpan(), x),
            Derivative1 = x => Derivative(initial.AsSpan(), x),
            Vector1 = (x, y) => Evaluate(initial.AsSpan(), x, y),
            Latex = LatexTemplate,
            LatexDelimitsOperands = true,
            // {1} is the coefficient tensor ([groups, count], or [count]): the module printers fill it.
            PyTorch = $"_{Family}({{0}}, {{1}}, {HelperArguments})",
            TorchSharp = $"{char.ToUpperInvariant(Family[0])}{Family[1..]}({{0}}, {{1}}, {HelperArguments})",
            SymPy = SymPyTemplate(),
            Unit = this,
        };
    }

    /// <summary>LaTeX of the unit as a named function of its operand.</summary>
    private protected abstract string LatexTemplate { get; }

    /// <summary>The arguments after (x, coefficients) of the export helpers <c>_rational</c> / <c>_spline</c>.</summary>
    private protected abstract string HelperArguments { get; }

    /// <summary>The function at its initial coefficients as a SymPy expression of {0}.</summary>
    private protected abstract string SymPyTemplate();

    internal static string Number(double v) => TextPrinter.FormatNumber(v);

    // ---- Least squares, shared by the fits ----

    /// <summary>Points of the fit and the target function on them.</summary>
    private protected static (double[] X, double[] T) Target(string init, double lo, double hi)
    {
        var f = CompiledExpr.Compile(ExprParser.Parse(KnownFunctions.Formula(init)));
        var x = new double[FitPoints];
        for (int i = 0; i < x.Length; i++) x[i] = lo + (hi - lo) * i / (FitPoints - 1);
        return (x, f.Evaluate(x));
    }

    /// <summary>
    /// The least-squares solution of A c = b (A is rows x cols, row-major, full column rank) by Householder QR: no normal
    /// equations, whose squared condition number the monomials of a degree-9 rational would not survive.
    /// </summary>
    private protected static double[] LeastSquares(double[,] a, double[] b)
    {
        int rows = a.GetLength(0), cols = a.GetLength(1);
        var r = (double[,])a.Clone();
        var y = (double[])b.Clone();
        for (int k = 0; k < cols; k++)
        {
            double norm = 0;
            for (int i = k; i < rows; i++) norm += r[i, k] * r[i, k];
            norm = Math.Sqrt(norm);
            if (norm == 0) continue;
            double alpha = r[k, k] > 0 ? -norm : norm;
            var v = new double[rows - k];
            for (int i = k; i < rows; i++) v[i - k] = r[i, k];
            v[0] -= alpha;
            double vv = 0;
            foreach (double e in v) vv += e * e;
            if (vv == 0) continue;
            for (int j = k; j < cols; j++)
            {
                double dot = 0;
                for (int i = k; i < rows; i++) dot += v[i - k] * r[i, j];
                double s = 2 * dot / vv;
                for (int i = k; i < rows; i++) r[i, j] -= s * v[i - k];
            }
            double dy = 0;
            for (int i = k; i < rows; i++) dy += v[i - k] * y[i];
            double sy = 2 * dy / vv;
            for (int i = k; i < rows; i++) y[i] -= sy * v[i - k];
        }
        var c = new double[cols];
        for (int k = cols - 1; k >= 0; k--)
        {
            double s = y[k];
            for (int j = k + 1; j < cols; j++) s -= r[k, j] * c[j];
            c[k] = r[k, k] == 0 ? 0 : s / r[k, k];
        }
        return c;
    }

    /// <summary>Sum of squared errors against the target; +Infinity when not finite (so a NaN never looks better).</summary>
    private protected static double SquaredError(LearnedUnit unit, ReadOnlySpan<double> c, double[] x, double[] t)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = unit.Evaluate(c, x[i]) - t[i];
            sum += e * e;
        }
        return double.IsFinite(sum) ? sum : double.PositiveInfinity;
    }

    private protected static double Rms(LearnedUnit unit, ReadOnlySpan<double> c, double[] x, double[] t) =>
        Math.Sqrt(SquaredError(unit, c, x, t) / x.Length);

    // ---- Spec text ----

    /// <summary>What a spec says, before the unit is built (and fitted).</summary>
    private sealed record ParsedSpec(string Family, int A, int B, string? Init, int Groups, double? Range, ImmutableArray<double> Coefficients)
    {
        public string Canonical()
        {
            var sb = new StringBuilder();
            sb.Append(Family).Append('{').Append(A.ToString(CultureInfo.InvariantCulture)).Append(',').Append(B.ToString(CultureInfo.InvariantCulture));
            if (Groups != 1) sb.Append(",groups=").Append(Groups.ToString(CultureInfo.InvariantCulture));
            if (Range is { } range && range != SplineUnit.DefaultRange) sb.Append(",range=").Append(Number(range));
            if (!Coefficients.IsDefault) sb.Append(",coef=[").Append(string.Join(",", Coefficients.Select(Number))).Append(']');
            else if (Init is { } init && init != DefaultInit) sb.Append(",init=").Append(init);
            return sb.Append('}').ToString();
        }

        public string DefaultInit => Family == "rational" ? RationalUnit.DefaultInit : SplineUnit.DefaultInit;

        public LearnedUnit Build(string canonical) => Family == "rational"
            ? RationalUnit.Create(canonical, A, B, Groups, Init ?? RationalUnit.DefaultInit, Coefficients)
            : SplineUnit.Create(canonical, A, B, Range ?? SplineUnit.DefaultRange, Init ?? SplineUnit.DefaultInit, Coefficients);
    }

    /// <summary>Reads <c>family{a, b, key=value, ...}</c>; every error names what is wrong and where.</summary>
    private sealed class SpecReader
    {
        private readonly string _text;
        private int _at;

        private SpecReader(string text) => _text = text;

        public static ParsedSpec Read(string text) => new SpecReader(text).ReadSpec();

        private LearnedUnitSpecException Error(int at, string message) => new(message, Math.Min(at, _text.Length));

        private void SkipSpace()
        {
            while (_at < _text.Length && char.IsWhiteSpace(_text[_at])) _at++;
        }

        private bool Accept(char c)
        {
            SkipSpace();
            if (_at < _text.Length && _text[_at] == c)
            {
                _at++;
                return true;
            }
            return false;
        }

        private void Expect(char c, string context)
        {
            if (Accept(c)) return;
            string found = _at < _text.Length ? $"'{_text[_at]}'" : "the end";
            throw Error(_at, $"expected '{c}' {context}, found {found}.");
        }

        private string Identifier()
        {
            SkipSpace();
            int start = _at;
            while (_at < _text.Length && (char.IsAsciiLetterOrDigit(_text[_at]) || _text[_at] == '_')) _at++;
            if (_at == start || char.IsAsciiDigit(_text[start])) throw Error(start, "expected a name.");
            return _text[start.._at];
        }

        private (double Value, int At) NumberToken()
        {
            SkipSpace();
            int start = _at;
            if (_at < _text.Length && (_text[_at] == '-' || _text[_at] == '+')) _at++;
            while (_at < _text.Length && (char.IsAsciiDigit(_text[_at]) || _text[_at] is '.' or 'e' or 'E'
                                          || (_text[_at] is '-' or '+' && _text[_at - 1] is 'e' or 'E'))) _at++;
            string s = _text[start.._at];
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw Error(start, s.Length == 0 ? "expected a number." : $"'{s}' is not a finite number.");
            return (v, start);
        }

        private int WholeNumber(string what, int min, int max)
        {
            var (v, at) = NumberToken();
            if (v != Math.Floor(v) || v < min || v > max)
                throw Error(at, $"{what} must be a whole number from {min} to {max}, got {Number(v)}.");
            return (int)v;
        }

        private ParsedSpec ReadSpec()
        {
            int brace = _text.IndexOf('{');
            string family = brace < 0 ? _text.Trim() : _text[..brace].Trim();
            if (!IsFamily(family)) throw Error(0, $"unknown learned unit '{family}'; use {string.Join(" or ", Families.Select(f => $"'{f}'"))}.");
            if (brace < 0) throw Error(_text.Length, $"'{family}' needs its {(family == "rational" ? "degrees, as rational{5, 4}" : "order and grid, as spline{3, 8}")}.");
            _at = brace + 1;
            bool rational = family == "rational";
            int a = rational
                ? WholeNumber("the numerator degree m of rational{m, n}", 1, RationalUnit.MaxDegree)
                : WholeNumber("the order k of spline{k, grid}", 1, SplineUnit.MaxOrder);
            Expect(',', rational ? "between the degrees m and n" : "between the order and the grid");
            int b;
            if (rational) b = WholeNumber("the denominator degree n of rational{m, n}", 0, RationalUnit.MaxDegree);
            else
            {
                var (v, at) = NumberToken();
                if (v != Math.Floor(v) || v < 1 || v > SplineUnit.MaxGrid)
                    throw Error(at, $"the grid of spline{{k, grid}} is its number of intervals, a whole number from 1 to {SplineUnit.MaxGrid} "
                                    + $"(a grid of at least 2 points), got {Number(v)}.");
                b = (int)v;
            }
            string? init = null;
            int groups = 1;
            double? range = null;
            ImmutableArray<double> coefficients = default;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (Accept(','))
            {
                SkipSpace();
                int keyAt = _at;
                string key = Identifier();
                if (!seen.Add(key)) throw Error(keyAt, $"'{key}' is given twice.");
                Expect('=', $"after '{key}'");
                switch (key)
                {
                    case "init":
                    {
                        SkipSpace();
                        int at = _at;
                        init = Identifier();
                        if (!KnownFunctions.Contains(init))
                            throw Error(at, $"unknown init function '{init}'; known: {string.Join(", ", KnownFunctions.Names)}.");
                        break;
                    }
                    case "groups" when rational:
                        groups = WholeNumber("groups", 1, RationalUnit.MaxGroups);
                        break;
                    case "range" when !rational:
                    {
                        var (v, at) = NumberToken();
                        if (v <= 0 || v > 1000) throw Error(at, $"range is the half-width of the grid, a number above 0 and at most 1000, got {Number(v)}.");
                        range = v;
                        break;
                    }
                    case "coef":
                    {
                        Expect('[', "to open the coefficient list");
                        var list = ImmutableArray.CreateBuilder<double>();
                        if (!Accept(']'))
                        {
                            do list.Add(NumberToken().Value);
                            while (Accept(','));
                            Expect(']', "to close the coefficient list");
                        }
                        coefficients = list.ToImmutable();
                        break;
                    }
                    default:
                        throw Error(keyAt, $"unknown option '{key}' of {family}; use "
                            + (rational ? "init, groups or coef." : "init, range or coef."));
                }
            }
            Expect('}', $"to close {family}{{...}}");
            SkipSpace();
            if (_at < _text.Length) throw Error(_at, $"unexpected '{_text[_at..]}' after {family}{{...}}.");
            if (init is not null && !coefficients.IsDefault) throw Error(brace, "give either init= or coef=, not both.");
            int expected = rational ? a + 1 + b : 1 + b + a;
            if (!coefficients.IsDefault && coefficients.Length != expected)
                throw Error(brace, $"{family}{{{a}, {b}}} has {expected} coefficients "
                    + $"({(rational ? $"p0..p{a}{(b == 0 ? "" : b == 1 ? ", then q1" : $", then q1..q{b}")}" : $"w, then c0..c{b + a - 1}")}), got {coefficients.Length}.");
            return new ParsedSpec(family, a, b, init, groups, range, coefficients);
        }
    }
}

/// <summary>
/// A Padé activation unit, the safe form f(x) = P(x) / (1 + |Q(x)|) with P(x) = p0 + p1 x + ... + pm x^m and
/// Q(x) = q1 x + ... + qn x^n: the denominator is at least 1, so f has no poles. Coefficients: p0..pm, then q1..qn;
/// by default fitted to leaky ReLU (slope 0.01) on [-3, 3], as PAU initializes them.
/// </summary>
public sealed class RationalUnit : LearnedUnit
{
    public const int MaxDegree = 12;
    public const int MaxGroups = 4096;
    public const string DefaultInit = "leaky_relu";
    public const double FitHalfWidth = 3;

    private RationalUnit(string spec, int m, int n, int groups, ImmutableArray<double> initial, string? init, double fitError)
        : base(spec, initial, init, fitError, groups)
    {
        M = m;
        N = n;
        var names = new List<string>();
        for (int i = 0; i <= m; i++) names.Add($"p{i}");
        for (int j = 1; j <= n; j++) names.Add($"q{j}");
        CoefficientNames = names;
    }

    /// <summary>Numerator degree.</summary>
    public int M { get; }

    /// <summary>Denominator degree.</summary>
    public int N { get; }

    public override string Family => "rational";

    public override string ShapeKey => Groups == 1 ? $"rational{{{M},{N}}}" : $"rational{{{M},{N},groups={Groups}}}";

    public override (double Lo, double Hi) FitInterval => (-FitHalfWidth, FitHalfWidth);

    public override IReadOnlyList<string> CoefficientNames { get; }

    // Horner on P (m multiply-adds) and Q (n), then abs, add and divide.
    public override double Flops => 2 * M + 2 * N + 3;

    public override string Description =>
        $"Padé activation unit P(x) / (1 + |Q(x)|) of degrees {M}/{N}, learnable coefficients"
        + (Groups > 1 ? $" in {Groups} channel groups" : "")
        + (Init is null ? " (given)" : $" fitted to {Init} (RMS error {FitError:G3} on [-{FitHalfWidth}, {FitHalfWidth}])");

    internal static RationalUnit Create(string spec, int m, int n, int groups, string init, ImmutableArray<double> given)
    {
        if (!given.IsDefault) return new RationalUnit(spec, m, n, groups, given, null, double.NaN);
        var (x, t) = Target(init, -FitHalfWidth, FitHalfWidth);
        var shape = new RationalUnit(spec, m, n, groups, [.. new double[m + 1 + n]], init, 0);
        double[] c = [.. Fit(shape, x, t).Select(v => v + 0.0)];
        return new RationalUnit(spec, m, n, groups, [.. c], init, Rms(shape, c, x, t));
    }

    public override double Evaluate(ReadOnlySpan<double> c, double x)
    {
        var (p, q) = (Numerator(c, x), Denominator(c, x));
        return p / (1 + Math.Abs(q));
    }

    public override double Derivative(ReadOnlySpan<double> c, double x)
    {
        double p = Numerator(c, x), q = Denominator(c, x);
        double dp = 0, dq = 0;
        for (int i = M; i >= 1; i--) dp = dp * x + i * c[i];
        for (int j = N; j >= 1; j--) dq = dq * x + j * c[M + j];
        double d = 1 + Math.Abs(q);
        return (dp * d - p * Kernels.Sign(q) * dq) / (d * d);
    }

    // d/dp_i = x^i / D; d/dq_j = -P sign(Q) x^j / D^2, with D = 1 + |Q|.
    public override void AddCoefficientGradient(ReadOnlySpan<double> c, double x, double upstream, Span<double> dc)
    {
        double p = Numerator(c, x), q = Denominator(c, x), d = 1 + Math.Abs(q);
        double a = upstream / d, b = -upstream * p * Kernels.Sign(q) / (d * d), pw = 1;
        for (int i = 0; i <= M; i++, pw *= x) dc[i] += a * pw;
        pw = x;
        for (int j = 1; j <= N; j++, pw *= x) dc[M + j] += b * pw;
    }

    private double Numerator(ReadOnlySpan<double> c, double x)
    {
        double p = c[M];
        for (int i = M - 1; i >= 0; i--) p = p * x + c[i];
        return p;
    }

    // q1 x + ... + qn x^n = x (q1 + x (q2 + ...)).
    private double Denominator(ReadOnlySpan<double> c, double x)
    {
        if (N == 0) return 0;
        double q = c[M + N];
        for (int j = N - 1; j >= 1; j--) q = q * x + c[M + j];
        return q * x;
    }

    /// <summary>
    /// The fit of PAU's initialization: first the linear problem P(x) - t(x) Q(x) = t(x) (the denominator without the
    /// absolute value) by QR, then Levenberg-Marquardt on the true squared error of P / (1 + |Q|) from there.
    /// </summary>
    private static double[] Fit(RationalUnit unit, double[] x, double[] t)
    {
        int m = unit.M, n = unit.N, k = m + 1 + n;
        var a = new double[x.Length, k];
        for (int i = 0; i < x.Length; i++)
        {
            double pw = 1;
            for (int j = 0; j <= m; j++, pw *= x[i]) a[i, j] = pw;
            pw = x[i];
            for (int j = 1; j <= n; j++, pw *= x[i]) a[i, m + j] = -t[i] * pw;
        }
        double[] c = LeastSquares(a, t);
        return Refine(unit, c, x, t);
    }

    private static double[] Refine(RationalUnit unit, double[] start, double[] x, double[] t)
    {
        int m = unit.M, n = unit.N, k = start.Length;
        double[] c = (double[])start.Clone();
        double error = SquaredError(unit, c, x, t), lambda = 1e-3;
        var jtj = new double[k, k];
        var jtr = new double[k];
        var row = new double[k];
        for (int iteration = 0; iteration < 200 && error > 1e-28; iteration++)
        {
            Array.Clear(jtj);
            Array.Clear(jtr);
            for (int i = 0; i < x.Length; i++)
            {
                double xi = x[i], p = unit.Numerator(c, xi), q = unit.Denominator(c, xi), d = 1 + Math.Abs(q);
                double r = p / d - t[i], pw = 1;
                for (int j = 0; j <= m; j++, pw *= xi) row[j] = pw / d;
                pw = xi;
                double s = -p * Kernels.Sign(q) / (d * d);
                for (int j = 1; j <= n; j++, pw *= xi) row[m + j] = s * pw;
                for (int u = 0; u < k; u++)
                {
                    jtr[u] += row[u] * r;
                    for (int v = 0; v <= u; v++) jtj[u, v] += row[u] * row[v];
                }
            }
            bool improved = false;
            for (int attempt = 0; attempt < 12 && !improved; attempt++)
            {
                var step = SolveDamped(jtj, jtr, lambda);
                if (step is null)
                {
                    lambda *= 10;
                    continue;
                }
                var trial = new double[k];
                for (int u = 0; u < k; u++) trial[u] = c[u] - step[u];
                double e = SquaredError(unit, trial, x, t);
                if (e < error)
                {
                    improved = error - e > 1e-12 * error;
                    c = trial;
                    error = e;
                    lambda = Math.Max(lambda / 10, 1e-12);
                    if (!improved) return c;
                }
                else lambda *= 10;
            }
            if (!improved) break;
        }
        return c;
    }

    // (J^T J + lambda diag(J^T J)) step = J^T r by Cholesky (the lower triangle of jtj is filled); null when not positive.
    private static double[]? SolveDamped(double[,] jtj, double[] jtr, double lambda)
    {
        int k = jtr.Length;
        var l = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = jtj[i, j] + (i == j ? lambda * Math.Max(jtj[i, i], 1e-12) : 0);
                for (int p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                if (i == j)
                {
                    if (!(s > 0)) return null;
                    l[i, i] = Math.Sqrt(s);
                }
                else l[i, j] = s / l[j, j];
            }
        var y = new double[k];
        for (int i = 0; i < k; i++)
        {
            double s = jtr[i];
            for (int p = 0; p < i; p++) s -= l[i, p] * y[p];
            y[i] = s / l[i, i];
        }
        var z = new double[k];
        for (int i = k - 1; i >= 0; i--)
        {
            double s = y[i];
            for (int p = i + 1; p < k; p++) s -= l[p, i] * z[p];
            z[i] = s / l[i, i];
        }
        return z;
    }


    private protected override string LatexTemplate => $@"\operatorname{{R}}_{{{M}/{N}}}\left({{0}}\right)";

    private protected override string HelperArguments => $"{M}, {N}";

    private protected override string SymPyTemplate()
    {
        string Term(double coefficient, int power) => power switch
        {
            0 => Number(coefficient),
            1 => $"{Number(coefficient)}*({{0}})",
            _ => $"{Number(coefficient)}*({{0}})**{power}",
        };
        string p = string.Join(" + ", Enumerable.Range(0, M + 1).Select(i => Term(Initial[i], i)));
        string q = N == 0 ? "0" : string.Join(" + ", Enumerable.Range(1, N).Select(j => Term(Initial[M + j], j)));
        return $"({p})/(1 + sympy.Abs({q}))";
    }
}

/// <summary>
/// KAN's activation (Liu et al. 2024): f(x) = w silu(x) + sum_i c_i B_i(x), the B-splines of degree k on a uniform grid of
/// <c>grid</c> intervals over [-range, range] extended by k knots on each side (grid + k basis functions, each nonzero on
/// k + 1 intervals; outside the extended grid only the SiLU residual is left). Coefficients: w, then c0..c(grid+k-1); w
/// starts at 1 and c is fitted so that f matches <c>init</c> (the default, silu, gives c = 0: KAN's start without its noise).
/// </summary>
public sealed class SplineUnit : LearnedUnit
{
    public const int MaxOrder = 5;
    public const int MaxGrid = 64;
    public const double DefaultRange = 3;
    public const string DefaultInit = "silu";

    private readonly double _t0, _h;

    private SplineUnit(string spec, int k, int grid, double range, ImmutableArray<double> initial, string? init, double fitError)
        : base(spec, initial, init, fitError, 1)
    {
        K = k;
        Grid = grid;
        Range = range;
        _h = 2 * range / grid;
        _t0 = -range - k * _h;
        CoefficientNames = ["w", .. Enumerable.Range(0, grid + k).Select(i => $"c{i}")];
    }

    /// <summary>Degree of the B-splines (KAN's k; 3 is cubic).</summary>
    public int K { get; }

    /// <summary>Intervals of the grid (KAN's G): <see cref="Grid"/> + 1 grid points over [-range, range].</summary>
    public int Grid { get; }

    /// <summary>Half-width of the grid.</summary>
    public double Range { get; }

    /// <summary>Knot spacing.</summary>
    public double Spacing => _h;

    /// <summary>First knot of the extended grid, -range - k * spacing.</summary>
    public double FirstKnot => _t0;

    public override string Family => "spline";

    public override string ShapeKey => $"spline{{{K},{Grid},range={Number(Range)}}}";

    public override (double Lo, double Hi) FitInterval => (-Range, Range);

    public override IReadOnlyList<string> CoefficientNames { get; }

    // Locating the interval (4), de Boor's triangle for the k + 1 nonzero pieces (4 per piece and level), k + 1
    // multiply-adds, and the residual w * silu (14).
    public override double Flops => 4 + 2 * K * (K + 3) + 2 * (K + 1) + 14;

    public override string Description =>
        $"KAN B-spline activation w silu(x) + spline of degree {K} on {Grid} intervals over [-{Number(Range)}, {Number(Range)}], learnable w and {Grid + K} coefficients"
        + (Init is null ? " (given)" : Init == DefaultInit ? " (starts as silu)" : $" fitted to {Init} (RMS error {FitError:G3})");

    internal static SplineUnit Create(string spec, int k, int grid, double range, string init, ImmutableArray<double> given)
    {
        if (!given.IsDefault) return new SplineUnit(spec, k, grid, range, given, null, double.NaN);
        var shape = new SplineUnit(spec, k, grid, range, [.. new double[grid + k + 1]], init, 0);
        var (x, t) = Target(init, -range, range);
        // w = 1: the coefficients fit what the SiLU residual leaves, t - silu, a linear problem.
        int count = grid + k;
        var a = new double[x.Length, count];
        var rest = new double[x.Length];
        Span<double> pieces = stackalloc double[MaxOrder + 1];
        for (int i = 0; i < x.Length; i++)
        {
            rest[i] = t[i] - x[i] * Kernels.Sigmoid(x[i]);
            if (shape.Locate(x[i], out int j, out double u))
            {
                Pieces(u, k, pieces);
                for (int r = 0; r <= k; r++)
                {
                    int b = j - k + r;
                    if (b >= 0 && b < count) a[i, b] = pieces[r];
                }
            }
        }
        double[] c = LeastSquares(a, rest);
        double[] all = [1.0, .. c.Select(v => v + 0.0)]; // -0 from the solve reads as 0
        return new SplineUnit(spec, k, grid, range, [.. all], init, Rms(shape, all, x, t));
    }

    /// <summary>The interval j of the extended grid that holds x, and x's place u in [0, 1) in it; false outside the grid.</summary>
    public bool Locate(double x, out int j, out double u)
    {
        double s = (x - _t0) / _h;
        j = 0;
        u = 0;
        if (!(s >= 0) || s >= Grid + 2 * K) return false; // NaN lands here too
        j = (int)Math.Floor(s);
        u = s - j;
        return true;
    }

    /// <summary>
    /// The degree + 1 uniform B-spline pieces of degree <paramref name="degree"/> at u (Cox-de Boor on uniform knots): piece r weighs
    /// coefficient j - k + r of interval j. N^d_r(u) = ((u + d - r) N^(d-1)_(r-1)(u) + (r + 1 - u) N^(d-1)_r(u)) / d.
    /// </summary>
    public static void Pieces(double u, int degree, Span<double> pieces)
    {
        pieces[0] = 1;
        for (int d = 1; d <= degree; d++)
        {
            pieces[d] = 0;
            for (int r = d; r >= 0; r--)
            {
                double left = r > 0 ? (u + d - r) * pieces[r - 1] : 0;
                pieces[r] = (left + (r + 1 - u) * pieces[r]) / d;
            }
        }
    }

    /// <summary>
    /// The pieces as polynomials in u: entry [r, p] is the coefficient of u^p in piece r of degree <paramref name="degree"/>
    /// (the same recursion as <see cref="Pieces"/>, on coefficient arrays). Piece r of interval j weighs coefficient j - k + r.
    /// </summary>
    public static double[,] PieceMatrix(int degree)
    {
        var m = new double[degree + 1, degree + 1];
        m[0, 0] = 1;
        for (int d = 1; d <= degree; d++)
        {
            var next = new double[degree + 1, degree + 1];
            for (int r = 0; r <= d; r++)
                for (int p = 0; p <= d; p++)
                {
                    double v = 0;
                    if (r > 0) v += (d - r) * m[r - 1, p] + (p > 0 ? m[r - 1, p - 1] : 0); // (u + d - r) N_(r-1)
                    if (r < d) v += (r + 1) * m[r, p] - (p > 0 ? m[r, p - 1] : 0);      // (r + 1 - u) N_r
                    next[r, p] = v / d;
                }
            m = next;
        }
        return m;
    }

    public override double Evaluate(ReadOnlySpan<double> c, double x)
    {
        double residual = c[0] * x * Kernels.Sigmoid(x);
        if (!Locate(x, out int j, out double u)) return double.IsNaN(x) ? x : residual;
        Span<double> pieces = stackalloc double[MaxOrder + 1];
        Pieces(u, K, pieces);
        double sum = 0;
        for (int r = 0; r <= K; r++)
        {
            int b = j - K + r;
            if (b >= 0 && b < Grid + K) sum += c[1 + b] * pieces[r];
        }
        return residual + sum;
    }

    // d/dw = silu(x); d/dc_b = the piece of basis b at x (k + 1 of them are nonzero).
    public override void AddCoefficientGradient(ReadOnlySpan<double> c, double x, double upstream, Span<double> dc)
    {
        dc[0] += upstream * x * Kernels.Sigmoid(x);
        if (!Locate(x, out int j, out double u)) return;
        Span<double> pieces = stackalloc double[MaxOrder + 1];
        Pieces(u, K, pieces);
        for (int r = 0; r <= K; r++)
        {
            int b = j - K + r;
            if (b >= 0 && b < Grid + K) dc[1 + b] += upstream * pieces[r];
        }
    }

    public override double Derivative(ReadOnlySpan<double> c, double x)
    {
        double s = Kernels.Sigmoid(x);
        double residual = c[0] * (s + x * s * (1 - s));
        if (!Locate(x, out int j, out double u)) return double.IsNaN(x) ? x : residual;
        // The derivative of a degree-k spline is a degree-(k-1) spline of the coefficient differences, over the spacing.
        Span<double> pieces = stackalloc double[MaxOrder + 1];
        Pieces(u, K - 1, pieces);
        double sum = 0;
        for (int r = 1; r <= K; r++)
        {
            int b = j - K + r;
            double hi = b >= 0 && b < Grid + K ? c[1 + b] : 0, lo = b - 1 >= 0 && b - 1 < Grid + K ? c[b] : 0;
            sum += (hi - lo) * pieces[r - 1];
        }
        return residual + sum / _h;
    }


    private protected override string LatexTemplate => $@"\operatorname{{S}}_{{{K},{Grid}}}\left({{0}}\right)";

    private protected override string HelperArguments => $"{K}, {Grid}, {Number(Range)}";

    private protected override string SymPyTemplate()
    {
        // sympy.bspline_basis_set(k, knots, x) gives the grid + k basis functions of the extended knot vector.
        var knots = Enumerable.Range(0, Grid + 2 * K + 1).Select(i => Number(_t0 + i * _h));
        var c = Initial.Skip(1).Select(Number);
        return $"{Number(Initial[0])}*({{0}})/(1 + sympy.exp(-({{0}}))) + sum(_c*_b for _c, _b in zip([{string.Join(", ", c)}], "
             + $"sympy.bspline_basis_set({K}, [{string.Join(", ", knots)}], {{0}})))";
    }
}
