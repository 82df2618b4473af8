using ActSearch.Expressions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// The TorchSharp lowering of every primitive in <see cref="PrimitiveRegistry.Default"/>, written to agree with the
/// CPU kernels in <c>ActSearch.Expressions</c> (NaN outside the domain, the same definitions of slog, ssqrt, pdiv...)
/// and to have finite gradients wherever the CPU derivative is finite.
/// </summary>
public static class TorchPrimitives
{
    // The lowering of each unary and binary primitive, by registry name: the one place a new primitive is added here.
    private static readonly Dictionary<string, Func<Tensor, Tensor>> Unaries = new(StringComparer.Ordinal)
    {
        ["neg"] = x => x.neg(),
        ["abs"] = x => x.abs(),
        ["square"] = x => x.square(),
        ["cube"] = x => x * x * x,
        ["sqrt"] = x => x.sqrt(),
        ["exp"] = x => x.exp(),
        ["log"] = x => x.log(),
        ["sin"] = x => x.sin(),
        ["cos"] = x => x.cos(),
        ["tanh"] = x => x.tanh(),
        ["sigmoid"] = x => x.sigmoid(),
        ["erf"] = x => x.erf(),
        // torch's softplus returns x itself above the threshold; at 20 the difference is log1p(e^-20) ~ 2e-9.
        ["softplus"] = x => nn.functional.softplus(x, 1, 20),
        ["relu"] = x => x.relu(),
        ["atan"] = x => x.atan(),
        ["sinh"] = x => x.sinh(),
        ["asinh"] = x => x.asinh(),
        ["gauss"] = x => x.square().neg().exp(),
        // sign(0) * log(0) = 0 * -inf = NaN, as the CPU kernel's NaN at 0.
        ["slog"] = x => x.sign() * x.abs().log(),
        ["ssqrt"] = x => x.sign() * x.abs().sqrt(),
    };

    private static readonly Dictionary<string, Func<Tensor, Tensor, Tensor>> Binaries = new(StringComparer.Ordinal)
    {
        ["add"] = (a, b) => a + b,
        ["sub"] = (a, b) => a - b,
        ["mul"] = (a, b) => a * b,
        ["div"] = (a, b) => a / b,
        ["pdiv"] = ProtectedDivide,
        ["max"] = maximum,
        ["min"] = minimum,
        ["pow"] = (a, b) => a.pow(b),
    };

    /// <summary>Names this class lowers; a test checks it covers the registry.</summary>
    public static IReadOnlySet<string> Supported { get; } = new HashSet<string>([.. Unaries.Keys, .. Binaries.Keys], StringComparer.Ordinal);

    public static Tensor Unary(string name, Tensor x) =>
        Unaries.TryGetValue(name, out var f) ? f(x) : throw new NotSupportedException($"No TorchSharp lowering for the unary primitive '{name}'.");

    public static Tensor Binary(string name, Tensor a, Tensor b) =>
        Binaries.TryGetValue(name, out var f) ? f(a, b) : throw new NotSupportedException($"No TorchSharp lowering for the binary primitive '{name}'.");

    /// <summary>a / b, or 1 where b is 0. Dividing by a guarded b keeps the unused branch (a / 0) out of the gradient.</summary>
    private static Tensor ProtectedDivide(Tensor a, Tensor b)
    {
        var zero = b.eq(0);
        var safe = where(zero, ones_like(b), b);
        var q = a / safe;
        return where(zero, ones_like(q), q);
    }

    /// <summary>Tensor (op) number, for the operators torch has a scalar form of.</summary>
    public static bool TryScalarRight(string name, Tensor a, double b, out Tensor result)
    {
        using TorchSharp.Scalar s = b; // see TryScalarLeft
        result = name switch
        {
            "add" => a + s,
            "sub" => a - s,
            "mul" => a * s,
            "div" => a / s,
            "pow" => a.pow(s),
            _ => null!,
        };
        return result is not null;
    }

    /// <summary>Number (op) tensor, for the operators torch has a scalar form of.</summary>
    public static bool TryScalarLeft(string name, double a, Tensor b, out Tensor result)
    {
        // An explicit Scalar, referenced until the call has returned. The implicit double-to-Scalar temporary has no
        // reference left once its handle is passed, so a collection on another training thread could finalize it
        // while libtorch still reads it: "Unknown scalar type" in a clean-clone test run.
        using TorchSharp.Scalar s = a;
        result = name switch
        {
            "add" => b + s,
            "sub" => s - b,
            "mul" => b * s,
            "div" => s / b,
            _ => null!,
        };
        return result is not null;
    }

    /// <summary>
    /// The statistic of <paramref name="x"/> (N, C, ...) over the axes, kept in reduced form (size-1 axes) so it
    /// broadcasts back. Batch: (N, spatial); layer: (C, spatial); instance: (spatial); group: (C/g, spatial).
    /// An NC input has no spatial axes, so its instance statistic is taken over one element.
    /// </summary>
    public static Tensor Aggregate(Statistic statistic, AggregateAxes axes, Tensor x, int groups)
    {
        long rank = x.dim();
        long[] spatial = [.. Enumerable.Range(2, (int)rank - 2).Select(i => (long)i)];
        switch (axes)
        {
            case AggregateAxes.Batch:
                return Reduce(statistic, x, [0, .. spatial]);
            case AggregateAxes.Layer:
                return Reduce(statistic, x, [.. Enumerable.Range(1, (int)rank - 1).Select(i => (long)i)]);
            case AggregateAxes.Instance:
                if (spatial.Length == 0) return OverOneElement(statistic, x);
                return Reduce(statistic, x, spatial);
            case AggregateAxes.Group:
            {
                long n = x.shape[0], c = x.shape[1];
                if (groups < 1 || c % groups != 0)
                    throw new ArgumentException($"A group statistic with {groups} groups needs a channel count divisible by {groups}; the input has {c}.");
                long[] grouped = [n, groups, c / groups, .. x.shape.Skip(2)];
                var g = x.reshape(grouped);
                var stat = Reduce(statistic, g, [.. Enumerable.Range(2, grouped.Length - 2).Select(i => (long)i)]);
                return stat.expand(grouped).reshape(x.shape);
            }
            default:
                throw new NotSupportedException($"Unknown aggregate axes {axes}.");
        }
    }

    private static Tensor Reduce(Statistic statistic, Tensor x, long[] dims) => statistic switch
    {
        Statistic.Mean => x.mean(dims, keepdim: true),
        Statistic.SecondMoment => x.square().mean(dims, keepdim: true),
        Statistic.Variance => Variance(x, dims),
        Statistic.Std => Variance(x, dims).sqrt(),
        _ => throw new NotSupportedException($"Unknown statistic {statistic}."),
    };

    // Two passes, as the CPU kernel: exact for inputs with a large mean, unlike E[x^2] - E[x]^2.
    private static Tensor Variance(Tensor x, long[] dims) => (x - x.mean(dims, keepdim: true)).square().mean(dims, keepdim: true);

    private static Tensor OverOneElement(Statistic statistic, Tensor x) => statistic switch
    {
        Statistic.Mean => x,
        Statistic.SecondMoment => x.square(),
        Statistic.Variance or Statistic.Std => (x - x).square(),
        _ => throw new NotSupportedException($"Unknown statistic {statistic}."),
    };
}
