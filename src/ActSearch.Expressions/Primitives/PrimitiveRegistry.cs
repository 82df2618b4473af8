using System.Collections.Frozen;
using System.Numerics.Tensors;

namespace ActSearch.Expressions;

/// <summary>
/// The set of primitives the parser, printers, evaluators and operators know. <see cref="Default"/>
/// holds every built-in primitive; search spaces choose subsets by name.
/// </summary>
public sealed class PrimitiveRegistry
{
    private readonly FrozenDictionary<string, Primitive> _byName;

    public PrimitiveRegistry(IEnumerable<Primitive> primitives)
    {
        All = [.. primitives];
        _byName = All.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
    }

    public static PrimitiveRegistry Default { get; } = new(BuiltIns.All());

    public IReadOnlyList<Primitive> All { get; }

    public IEnumerable<Primitive> Unary => All.Where(p => p.Kind == PrimitiveKind.Unary);

    public IEnumerable<Primitive> Binary => All.Where(p => p.Kind == PrimitiveKind.Binary);

    public IEnumerable<Primitive> Aggregates => All.Where(p => p.Kind == PrimitiveKind.Aggregate);

    /// <summary>A primitive by name; a learned unit's spec (<c>rational{5, 4}</c>) gives that unit's primitive.</summary>
    public bool TryGet(string name, out Primitive primitive) =>
        _byName.TryGetValue(name, out primitive!) || LearnedUnit.TryResolve(name, out primitive, out _);

    public Primitive Get(string name) => TryGet(name, out var p) ? p
        : LearnedUnit.IsSpec(name) ? LearnedUnit.Parse(name).Primitive // throws with the reason
        : throw new KeyNotFoundException($"Unknown primitive '{name}'.");

    /// <summary>Finds an aggregate by statistic and axes.</summary>
    public Primitive Aggregate(Statistic statistic, AggregateAxes axes) =>
        All.First(p => p.Kind == PrimitiveKind.Aggregate && p.Statistic == statistic && p.Axes == axes);

    /// <summary>Named constants accepted by the parser.</summary>
    public static IReadOnlyDictionary<string, double> NamedConstants { get; } = new Dictionary<string, double>
    {
        ["pi"] = Math.PI,
        ["e"] = Math.E,
        ["inf"] = double.PositiveInfinity,
        ["nan"] = double.NaN,
    };
}

/// <summary>The built-in primitives, one entry each.</summary>
internal static class BuiltIns
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    public static IEnumerable<Primitive> All()
    {
        // Element-wise unary primitives.
        yield return Un("neg", "all reals", 1, x => -x, x => -1, (a, y) => TensorPrimitives.Negate(a, y),
            "-{0}", "-{0}", "-{0}", "-{0}", "negation", latexDelimits: false);
        yield return Un("abs", "all reals", 1, Math.Abs, Kernels.Sign, (a, y) => TensorPrimitives.Abs(a, y),
            @"\left|{0}\right|", "torch.abs({0})", "torch.abs({0})", "sympy.Abs({0})", "absolute value");
        yield return Un("square", "all reals", 1, x => x * x, x => 2 * x, (a, y) => TensorPrimitives.Multiply(a, a, y),
            "{0}^{2}", "torch.square({0})", "torch.square({0})", "{0}**2", "x^2", latexDelimits: false);
        yield return Un("cube", "all reals", 2, x => x * x * x, x => 3 * x * x, null,
            "{0}^{3}", "torch.pow({0}, 3)", "torch.pow({0}, 3)", "{0}**3", "x^3", latexDelimits: false);
        yield return Un("sqrt", "x >= 0 (NaN below)", 4, Math.Sqrt, x => 0.5 / Math.Sqrt(x), (a, y) => TensorPrimitives.Sqrt(a, y),
            @"\sqrt{{0}}", "torch.sqrt({0})", "torch.sqrt({0})", "sympy.sqrt({0})", "square root");
        yield return Un("exp", "all reals (overflows above ~709)", 10, Math.Exp, Math.Exp, (a, y) => TensorPrimitives.Exp(a, y),
            @"e^{{0}}", "torch.exp({0})", "torch.exp({0})", "sympy.exp({0})", "exponential");
        yield return Un("log", "x > 0 (-Inf at 0, NaN below)", 10, Math.Log, x => 1 / x, (a, y) => TensorPrimitives.Log(a, y),
            @"\log\left({0}\right)", "torch.log({0})", "torch.log({0})", "sympy.log({0})", "natural logarithm");
        yield return Un("sin", "all reals", 10, Math.Sin, Math.Cos, (a, y) => TensorPrimitives.Sin(a, y),
            @"\sin\left({0}\right)", "torch.sin({0})", "torch.sin({0})", "sympy.sin({0})", "sine");
        yield return Un("cos", "all reals", 10, Math.Cos, x => -Math.Sin(x), (a, y) => TensorPrimitives.Cos(a, y),
            @"\cos\left({0}\right)", "torch.cos({0})", "torch.cos({0})", "sympy.cos({0})", "cosine");
        yield return Un("tanh", "all reals", 12, Math.Tanh, x => { double t = Math.Tanh(x); return 1 - t * t; }, (a, y) => TensorPrimitives.Tanh(a, y),
            @"\tanh\left({0}\right)", "torch.tanh({0})", "torch.tanh({0})", "sympy.tanh({0})", "hyperbolic tangent");
        yield return Un("sigmoid", "all reals", 12, Kernels.Sigmoid, x => { double s = Kernels.Sigmoid(x); return s * (1 - s); }, null,
            @"\sigma\left({0}\right)", "torch.sigmoid({0})", "torch.sigmoid({0})", "1/(1 + sympy.exp(-({0})))", "logistic sigmoid 1/(1+e^-x)");
        yield return Un("erf", "all reals", 16, Kernels.Erf, x => TwoOverSqrtPi * Math.Exp(-x * x), null,
            @"\operatorname{erf}\left({0}\right)", "torch.erf({0})", "torch.special.erf({0})", "sympy.erf({0})", "error function");
        yield return Un("softplus", "all reals", 20, Kernels.Softplus, Kernels.Sigmoid, null,
            @"\operatorname{softplus}\left({0}\right)", "torch.nn.functional.softplus({0}, beta=1.0, threshold=1000.0)",
            "torch.nn.functional.softplus({0}, 1.0, 1000.0)", "sympy.log(1 + sympy.exp({0}))", "log(1 + e^x)");
        yield return Un("relu", "all reals", 1, x => x > 0 ? x : (double.IsNaN(x) ? x : 0), x => x > 0 ? 1 : 0, null,
            @"\operatorname{relu}\left({0}\right)", "torch.relu({0})", "torch.nn.functional.relu({0})", "sympy.Max({0}, 0)", "max(x, 0)");
        yield return Un("atan", "all reals", 12, Math.Atan, x => 1 / (1 + x * x), (a, y) => TensorPrimitives.Atan(a, y),
            @"\arctan\left({0}\right)", "torch.atan({0})", "torch.atan({0})", "sympy.atan({0})", "arc tangent");
        yield return Un("sinh", "all reals (overflows above ~710)", 10, Math.Sinh, Math.Cosh, (a, y) => TensorPrimitives.Sinh(a, y),
            @"\sinh\left({0}\right)", "torch.sinh({0})", "torch.sinh({0})", "sympy.sinh({0})", "hyperbolic sine");
        yield return Un("asinh", "all reals", 14, Math.Asinh, x => 1 / Math.Sqrt(1 + x * x), (a, y) => TensorPrimitives.Asinh(a, y),
            @"\operatorname{asinh}\left({0}\right)", "torch.asinh({0})", "torch.asinh({0})", "sympy.asinh({0})", "inverse hyperbolic sine");
        yield return Un("gauss", "all reals", 11, x => Math.Exp(-x * x), x => -2 * x * Math.Exp(-x * x), Kernels.GaussVector,
            @"e^{-{0}^{2}}", "torch.exp(-torch.square({0}))", "torch.exp(-torch.square({0}))", "sympy.exp(-({0})**2)", "exp(-x^2)",
            latexDelimits: false);
        yield return Un("slog", "x != 0 (NaN at 0)", 12, Kernels.SignedLog, x => 1 / Math.Abs(x), null,
            @"\operatorname{slog}\left({0}\right)", "torch.sign({0}) * torch.log(torch.abs({0}))",
            "torch.sign({0}) * torch.log(torch.abs({0}))", "sympy.sign({0}) * sympy.log(sympy.Abs({0}))",
            "EvoNorms' signed log, sign(x) * ln|x|");
        yield return Un("ssqrt", "all reals", 6, Kernels.SignedSqrt, x => 0.5 / Math.Sqrt(Math.Abs(x)), null,
            @"\operatorname{ssqrt}\left({0}\right)", "torch.sign({0}) * torch.sqrt(torch.abs({0}))",
            "torch.sign({0}) * torch.sqrt(torch.abs({0}))", "sympy.sign({0}) * sympy.sqrt(sympy.Abs({0}))",
            "EvoNorms' signed square root, sign(x) * sqrt|x|");

        // Element-wise binary primitives.
        yield return Bin("add", "all reals", 1, (a, b) => a + b, (a, b) => 1, (a, b) => 1, (a, b, y) => TensorPrimitives.Add(a, b, y),
            "{0} + {1}", "{0} + {1}", "{0} + {1}", "{0} + {1}", "addition", symbol: "+", precedence: 1, commutative: true, associative: true);
        yield return Bin("sub", "all reals", 1, (a, b) => a - b, (a, b) => 1, (a, b) => -1, (a, b, y) => TensorPrimitives.Subtract(a, b, y),
            "{0} - {1}", "{0} - {1}", "{0} - {1}", "{0} - {1}", "subtraction", symbol: "-", precedence: 1);
        yield return Bin("mul", "all reals", 1, (a, b) => a * b, (a, b) => b, (a, b) => a, (a, b, y) => TensorPrimitives.Multiply(a, b, y),
            @"{0} \cdot {1}", "{0} * {1}", "{0} * {1}", "{0} * {1}", "multiplication", symbol: "*", precedence: 2, commutative: true, associative: true);
        yield return Bin("div", "b != 0 (±Inf or NaN at 0)", 1, (a, b) => a / b, (a, b) => 1 / b, (a, b) => -a / (b * b),
            (a, b, y) => TensorPrimitives.Divide(a, b, y),
            @"\frac{{0}}{{1}}", "{0} / {1}", "{0} / {1}", "{0} / {1}", "division", symbol: "/", precedence: 2);
        yield return Bin("pdiv", "all reals (1 where b = 0)", 2, Kernels.ProtectedDivide,
            (a, b) => b == 0 ? 0 : 1 / b, (a, b) => b == 0 ? 0 : -a / (b * b), null,
            @"\operatorname{pdiv}\left({0}, {1}\right)", "torch.where({1} == 0, torch.ones_like({0}), {0} / {1})",
            "torch.where({1} == 0, torch.ones_like({0}), {0} / {1})", "sympy.Piecewise((1, sympy.Eq({1}, 0)), ({0} / {1}, True))",
            "protected division (DEAP's protectedDiv): 1 where the divisor is 0");
        yield return Bin("max", "all reals", 1, Math.Max, (a, b) => a >= b ? 1 : 0, (a, b) => a >= b ? 0 : 1,
            (a, b, y) => TensorPrimitives.Max(a, b, y),
            @"\max\left({0}, {1}\right)", "torch.maximum({0}, {1})", "torch.maximum({0}, {1})", "sympy.Max({0}, {1})", "maximum",
            commutative: true, associative: true);
        yield return Bin("min", "all reals", 1, Math.Min, (a, b) => a <= b ? 1 : 0, (a, b) => a <= b ? 0 : 1,
            (a, b, y) => TensorPrimitives.Min(a, b, y),
            @"\min\left({0}, {1}\right)", "torch.minimum({0}, {1})", "torch.minimum({0}, {1})", "sympy.Min({0}, {1})", "minimum",
            commutative: true, associative: true);
        yield return Bin("pow", "a > 0, or any a with an integer b (NaN otherwise)", 20, Math.Pow,
            (a, b) => b == 0 ? 0 : b * Math.Pow(a, b - 1), (a, b) => Math.Pow(a, b) * Math.Log(a),
            (a, b, y) => TensorPrimitives.Pow(a, b, y),
            "{0}^{{1}}", "torch.pow({0}, {1})", "torch.pow({0}, {1})", "{0}**{1}", "power",
            symbol: "^", precedence: 4, rightAssociative: true, latexDelimits: false);

        // Aggregates: every statistic over every axis set (EvoNorms' search space).
        foreach (var (axes, prefix, what) in new[]
        {
            (AggregateAxes.Batch, "batch", "over (N, H, W), per channel"),
            (AggregateAxes.Layer, "layer", "over (C, H, W), per sample"),
            (AggregateAxes.Instance, "instance", "over (H, W), per sample and channel"),
            (AggregateAxes.Group, "group", "over (C/g, H, W), per sample and group of channels"),
        })
        {
            foreach (var (stat, suffix, latex, flops, statName) in new[]
            {
                (Statistic.Mean, "mean", @"\mu", 1.0, "mean"),
                (Statistic.SecondMoment, "m2", @"\mu_2", 2.0, "second moment E[x^2]"),
                (Statistic.Variance, "var", @"\sigma^2", 3.0, "variance (biased)"),
                (Statistic.Std, "std", @"\sigma", 4.0, "standard deviation (biased, no epsilon)"),
            })
            {
                string name = $"{prefix}_{suffix}";
                yield return new Primitive
                {
                    Name = name,
                    Kind = PrimitiveKind.Aggregate,
                    Domain = "an NCHW or NC tensor",
                    Flops = flops,
                    Description = $"{statName} {what}",
                    Statistic = stat,
                    Axes = axes,
                    Latex = latex + @"_{\mathrm{" + prefix + @"}}\left({0}\right)",
                    PyTorch = $"_aggregate({{0}}, \"{prefix}\", \"{suffix}\", {{1}})",
                    TorchSharp = $"Aggregate({{0}}, \"{prefix}\", \"{suffix}\", {{1}})",
                    SymPy = $"sympy.Function(\"{name}\")({{0}})",
                };
            }
        }
    }

    private static Primitive Un(string name, string domain, double flops, Func<double, double> f, Func<double, double> df,
        SpanUnaryKernel? vector, string latex, string pytorch, string torchSharp, string sympy, string description,
        bool latexDelimits = true) => new()
        {
            Name = name, Kind = PrimitiveKind.Unary, Domain = domain, Flops = flops, Apply1 = f, Derivative1 = df,
            Vector1 = vector, Latex = latex, PyTorch = pytorch, TorchSharp = torchSharp, SymPy = sympy,
            Description = description, LatexDelimitsOperands = latexDelimits,
        };

    private static Primitive Bin(string name, string domain, double flops, Func<double, double, double> f,
        Func<double, double, double> dLeft, Func<double, double, double> dRight, SpanBinaryKernel? vector,
        string latex, string pytorch, string torchSharp, string sympy, string description,
        string? symbol = null, int precedence = 0, bool commutative = false, bool associative = false,
        bool rightAssociative = false, bool latexDelimits = true) => new()
        {
            Name = name, Kind = PrimitiveKind.Binary, Domain = domain, Flops = flops, Apply2 = f,
            DerivativeLeft = dLeft, DerivativeRight = dRight, Vector2 = vector, Latex = latex, PyTorch = pytorch,
            TorchSharp = torchSharp, SymPy = sympy, Description = description, Symbol = symbol, Precedence = precedence,
            Commutative = commutative, Associative = associative, RightAssociative = rightAssociative,
            LatexDelimitsOperands = latexDelimits,
        };
}
