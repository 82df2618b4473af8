using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// The element kernels of <see cref="FusedProgram"/>, generic over float and double so float32 training runs as wide
/// as TensorPrimitives goes on the machine and the float64 exactness check runs the same code (on AVX-512, the costliest
/// float32 primitives run <see cref="FusedFloatKernels"/> instead). Forward: each primitive as
/// <see cref="TorchPrimitives"/> lowers it (erf in float32 by a series and Abramowitz-Stegun 7.1.26, within 3e-7
/// relative; in float64 by the primitive's exact kernel). Backward: given the operand rows, the node's values and the gradient flowing into the node, add the
/// operands' gradients as autograd does for the op chain (the same products, so the same NaN and Inf at domain edges:
/// 0 * Inf is NaN in both), using the node's value where the derivative is a function of it (exp, tanh, sigmoid, sqrt).
/// Everything works on chunks that stay in cache; <c>scratch</c> is a free row of the chunk's length.
/// </summary>
internal static class FusedKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Half = T.CreateChecked(0.5), Two = T.CreateChecked(2), Three = T.CreateChecked(3);
    private static readonly T TwoOverSqrtPi = T.CreateChecked(1.1283791670955126);
    private static readonly T TanhSmall = T.CreateChecked(1e-3), OneThird = T.CreateChecked(1.0 / 3), TwoFifteenths = T.CreateChecked(2.0 / 15);

    public static void Unary(string name, ReadOnlySpan<T> a, Span<T> y, Span<T> scratch, Span<T> scratch2)
    {
        if (typeof(T) == typeof(float) && FusedFloatKernels.TryUnary(name, MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(y))) return;
        int n = a.Length;
        switch (name)
        {
            case "neg": TensorPrimitives.Negate(a, y); return;
            case "abs": TensorPrimitives.Abs(a, y); return;
            case "square": TensorPrimitives.Multiply(a, a, y); return;
            case "cube":
                TensorPrimitives.Multiply(a, a, y);
                TensorPrimitives.Multiply(y, a, y);
                return;
            case "sqrt": TensorPrimitives.Sqrt(a, y); return;
            case "exp": TensorPrimitives.Exp(a, y); return;
            case "log": TensorPrimitives.Log(a, y); return;
            case "sin": Sin(a, y); return;
            case "cos": Cos(a, y); return;
            case "tanh":
                TensorPrimitives.Tanh(a, y);
                // The vector kernel loses relative precision near 0 (7e-4 at 1e-16 in float64) and can give -0 for +0: there,
                // the series (float64, for the exactness checks; in float32 the error stays below what training notices).
                if (typeof(T) == typeof(double))
                    for (int i = 0; i < n; i++)
                        if (T.Abs(a[i]) < TanhSmall)
                        {
                            T a2 = a[i] * a[i];
                            y[i] = a[i] * (T.One - a2 * (OneThird - a2 * TwoFifteenths));
                        }
                else TensorPrimitives.CopySign(y, a, y); // tanh(+0) = +0
                return;
            case "sigmoid": Sigmoid(a, y); return;
            case "erf":
                // float32: the vector approximation (error below float's rounding); float64 (the exactness checks): the
                // primitive's own kernel, exact to 1e-15, since 1.5e-7 absolute would show in log(erf(x)) near erf = 1.
                if (typeof(T) == typeof(double))
                    for (int i = 0; i < n; i++) y[i] = T.CopySign(T.CreateTruncating(Kernels.Erf(double.CreateTruncating(a[i]))), a[i]); // erf(-0) = -0
                else Erf(a, y, scratch, scratch2);
                return;
            case "softplus":
                // max(a, 0) + log1p(e^-|a|): no overflow, and NaN stays NaN.
                for (int i = 0; i < n; i++) y[i] = T.IsNaN(a[i]) ? a[i] : T.Max(a[i], T.Zero) + LogOnePlus(T.Exp(-T.Abs(a[i])));
                return;
            case "relu":
                for (int i = 0; i < n; i++) y[i] = a[i] > T.Zero ? a[i] : T.IsNaN(a[i]) ? a[i] : T.Zero;
                return;
            case "atan": TensorPrimitives.Atan(a, y); return;
            case "sinh": TensorPrimitives.Sinh(a, y); return;
            case "asinh": TensorPrimitives.Asinh(a, y); return;
            case "gauss":
                TensorPrimitives.Multiply(a, a, y);
                TensorPrimitives.Negate(y, y);
                TensorPrimitives.Exp(y, y);
                return;
            case "slog":
                for (int i = 0; i < n; i++) y[i] = Sign(a[i]) * T.Log(T.Abs(a[i]));
                return;
            case "ssqrt":
                for (int i = 0; i < n; i++) y[i] = Sign(a[i]) * T.Sqrt(T.Abs(a[i]));
                return;
            default:
                throw new NotSupportedException($"The fused op has no kernel for the unary primitive '{name}'.");
        }
    }

    public static void Binary(string name, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        int n = a.Length;
        switch (name)
        {
            case "add": TensorPrimitives.Add(a, b, y); return;
            case "sub": TensorPrimitives.Subtract(a, b, y); return;
            case "mul": TensorPrimitives.Multiply(a, b, y); return;
            case "div": TensorPrimitives.Divide(a, b, y); return;
            case "pdiv":
                for (int i = 0; i < n; i++) y[i] = b[i] == T.Zero ? T.One : a[i] / b[i];
                return;
            case "max":
                for (int i = 0; i < n; i++) y[i] = T.IsNaN(a[i]) || T.IsNaN(b[i]) ? T.NaN : T.Max(a[i], b[i]);
                return;
            case "min":
                for (int i = 0; i < n; i++) y[i] = T.IsNaN(a[i]) || T.IsNaN(b[i]) ? T.NaN : T.Min(a[i], b[i]);
                return;
            case "pow":
                for (int i = 0; i < n; i++) y[i] = T.Pow(a[i], b[i]);
                return;
            default:
                throw new NotSupportedException($"The fused op has no kernel for the binary primitive '{name}'.");
        }
    }

    /// <summary>ga += g * f'(a), with y = f(a).</summary>
    public static void UnaryBackward(string name, ReadOnlySpan<T> a, ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> ga, Span<T> scratch)
    {
        if (typeof(T) == typeof(float)
            && FusedFloatKernels.TryUnaryBackward(name, MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(y), MemoryMarshal.Cast<T, float>(g), MemoryMarshal.Cast<T, float>(ga)))
            return;
        int n = a.Length;
        switch (name)
        {
            case "neg":
                TensorPrimitives.Subtract(ga, g, ga);
                return;
            case "abs":
                for (int i = 0; i < n; i++) ga[i] += g[i] * (T.IsNaN(a[i]) ? T.Zero : Sign(a[i])); // autograd: g * sgn(a), sgn(NaN) = 0
                return;
            case "square":
                TensorPrimitives.Multiply(a, Two, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "cube":
                TensorPrimitives.Multiply(a, a, scratch);
                TensorPrimitives.Multiply(scratch, Three, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "sqrt":
                for (int i = 0; i < n; i++) ga[i] += g[i] / (Two * y[i]);
                return;
            case "exp":
                TensorPrimitives.MultiplyAdd(g, y, ga, ga);
                return;
            case "log":
                for (int i = 0; i < n; i++) ga[i] += g[i] / a[i];
                return;
            case "sin":
                Cos(a, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "cos":
                Sin(a, scratch);
                TensorPrimitives.Negate(scratch, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "tanh":
                TensorPrimitives.Multiply(y, y, scratch);
                TensorPrimitives.Subtract(T.One, scratch, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "sigmoid":
                TensorPrimitives.Subtract(T.One, y, scratch);
                TensorPrimitives.Multiply(scratch, y, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "erf":
                TensorPrimitives.Multiply(a, a, scratch);
                TensorPrimitives.Negate(scratch, scratch);
                TensorPrimitives.Exp(scratch, scratch);
                TensorPrimitives.Multiply(scratch, TwoOverSqrtPi, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "softplus":
                Sigmoid(a, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "relu":
                // Autograd selects (threshold_backward): where a <= 0 the gradient is 0 even if g is NaN; NaN passes it.
                for (int i = 0; i < n; i++) ga[i] += a[i] > T.Zero || T.IsNaN(a[i]) ? g[i] : T.Zero;
                return;
            case "atan":
                for (int i = 0; i < n; i++) ga[i] += g[i] / (T.One + a[i] * a[i]);
                return;
            case "sinh":
                TensorPrimitives.Cosh(a, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "asinh":
                for (int i = 0; i < n; i++) ga[i] += g[i] / T.Sqrt(T.One + a[i] * a[i]);
                return;
            case "gauss":
                TensorPrimitives.Multiply(a, -Two, scratch);
                TensorPrimitives.Multiply(scratch, y, scratch);
                TensorPrimitives.MultiplyAdd(g, scratch, ga, ga);
                return;
            case "slog":
                // Autograd of sign(a) * log|a|: the log branch gets g * sign(a), divided by |a|, times sign(a): NaN at 0.
                for (int i = 0; i < n; i++)
                {
                    T s = Sign(a[i]);
                    ga[i] += g[i] * s / T.Abs(a[i]) * s;
                }
                return;
            case "ssqrt":
                for (int i = 0; i < n; i++)
                {
                    T s = Sign(a[i]);
                    ga[i] += g[i] * s / (Two * T.Sqrt(T.Abs(a[i]))) * s;
                }
                return;
            default:
                throw new NotSupportedException($"The fused op has no derivative for the unary primitive '{name}'.");
        }
    }

    /// <summary>
    /// ga += g * df/da and gb += g * df/db, with y = f(a, b); an empty <paramref name="ga"/> or <paramref name="gb"/> is an
    /// operand that needs no gradient (a constant). The two may be the same row (f(a, a)).
    /// </summary>
    public static void BinaryBackward(string name, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> y, ReadOnlySpan<T> g,
        Span<T> ga, Span<T> gb, Span<T> scratch)
    {
        int n = a.Length;
        bool left = !ga.IsEmpty, right = !gb.IsEmpty;
        switch (name)
        {
            case "add":
                if (left) TensorPrimitives.Add(ga, g, ga);
                if (right) TensorPrimitives.Add(gb, g, gb);
                return;
            case "sub":
                if (left) TensorPrimitives.Add(ga, g, ga);
                if (right) TensorPrimitives.Subtract(gb, g, gb);
                return;
            case "mul":
                if (left) TensorPrimitives.MultiplyAdd(g, b, ga, ga);
                if (right) TensorPrimitives.MultiplyAdd(g, a, gb, gb);
                return;
            case "div":
                if (left)
                {
                    TensorPrimitives.Divide(g, b, scratch);
                    TensorPrimitives.Add(ga, scratch, ga);
                }
                if (right)
                    for (int i = 0; i < n; i++) gb[i] += -g[i] * a[i] / (b[i] * b[i]);
                return;
            case "pdiv":
                // The op chain divides by a guarded b and selects (torch.where) the 1 where b is 0: both gradients are 0
                // there, even for a NaN g or a NaN a.
                for (int i = 0; i < n; i++)
                {
                    if (b[i] == T.Zero) continue;
                    if (left) ga[i] += g[i] / b[i];
                    if (right) gb[i] += -g[i] * a[i] / (b[i] * b[i]);
                }
                return;
            case "max":
            case "min":
            {
                // Autograd of maximum/minimum: the gradient goes to the larger (smaller) operand, in halves on a tie, and in
                // full to both where either is NaN.
                bool max = name == "max";
                for (int i = 0; i < n; i++)
                {
                    bool nanA = T.IsNaN(a[i]), nanB = T.IsNaN(b[i]);
                    T toA, toB;
                    if (nanA || nanB) (toA, toB) = (T.One, T.One); // no comparison holds with a NaN, so nothing is masked
                    else
                    {
                        toA = a[i] == b[i] ? Half : (max ? a[i] > b[i] : a[i] < b[i]) ? T.One : T.Zero;
                        toB = T.One - toA;
                    }
                    // masked_fill selects: an operand that gets nothing gets 0, even for a NaN g.
                    if (left && toA != T.Zero) ga[i] += g[i] * toA;
                    if (right && toB != T.Zero) gb[i] += g[i] * toB;
                }
                return;
            }
            case "pow":
                for (int i = 0; i < n; i++)
                {
                    // As autograd: the base's gradient is selected away where b = 0 (0 even for a NaN g); the exponent's is
                    // g times a factor that is 0 where a = 0 and b >= 0 (so a NaN g stays NaN).
                    if (left && b[i] != T.Zero) ga[i] += g[i] * b[i] * T.Pow(a[i], b[i] - T.One);
                    if (right) gb[i] += g[i] * (a[i] == T.Zero && b[i] >= T.Zero ? T.Zero : y[i] * T.Log(a[i]));
                }
                return;
            default:
                throw new NotSupportedException($"The fused op has no derivative for the binary primitive '{name}'.");
        }
    }

    /// <summary>1 / (1 + e^-a) through the vectorized exp (TensorPrimitives.Sigmoid runs element by element, 10x slower here).</summary>
    private static void Sigmoid(ReadOnlySpan<T> a, Span<T> y)
    {
        TensorPrimitives.Negate(a, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Add(y, T.One, y);
        TensorPrimitives.Reciprocal(y, y);
    }

    // float64 (the exactness checks) reduces huge arguments exactly, as libtorch does; the vector kernels do not.
    private static void Sin(ReadOnlySpan<T> a, Span<T> y)
    {
        if (typeof(T) != typeof(double)) TensorPrimitives.Sin(a, y);
        else for (int i = 0; i < a.Length; i++) y[i] = T.Sin(a[i]);
    }

    private static void Cos(ReadOnlySpan<T> a, Span<T> y)
    {
        if (typeof(T) != typeof(double)) TensorPrimitives.Cos(a, y);
        else for (int i = 0; i < a.Length; i++) y[i] = T.Cos(a[i]);
    }

    /// <summary>log(1 + e), accurate for tiny e (T.LogP1 is log(1 + e) as written, 0 below the type's epsilon).</summary>
    private static T LogOnePlus(T e)
    {
        T u = T.One + e;
        return u == T.One ? e : T.Log(u) * e / (u - T.One);
    }

    private static T Sign(T x) => x > T.Zero ? T.One : x < T.Zero ? T.NegativeOne : x == T.Zero ? T.Zero : T.NaN;

    private static readonly T[] ErfTail = [.. new[] { 1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592 }.Select(T.CreateChecked)];
    private static readonly T[] ErfSeries = [.. new[] { -1.0 / 9360, 1.0 / 1320, -1.0 / 216, 1.0 / 42, -1.0 / 10, 1.0 / 3, -1.0, }.Select(c => T.CreateChecked(-c))];
    private static readonly T ErfP = T.CreateChecked(0.3275911), ErfSmall = T.CreateChecked(0.5);

    /// <summary>
    /// erf, vectorized: Abramowitz-Stegun 7.1.26 (1 - t P(t) e^(-a^2) with t = 1 / (1 + p |a|); relative error under 3e-7
    /// from |a| = 0.5 up), and below 0.5 the Maclaurin series to a^13 (under 1e-8), chosen per element.
    /// </summary>
    private static void Erf(ReadOnlySpan<T> a, Span<T> y, Span<T> t, Span<T> s)
    {
        TensorPrimitives.Abs(a, t);
        TensorPrimitives.Multiply(t, ErfP, t);
        TensorPrimitives.Add(t, T.One, t);
        TensorPrimitives.Reciprocal(t, t);
        s.Fill(ErfTail[0]);
        for (int k = 1; k < ErfTail.Length; k++)
        {
            TensorPrimitives.Multiply(s, t, s);
            TensorPrimitives.Add(s, ErfTail[k], s);
        }
        TensorPrimitives.Multiply(s, t, s); // t P(t)
        TensorPrimitives.Multiply(a, a, t);
        TensorPrimitives.Negate(t, t);
        TensorPrimitives.Exp(t, t);
        TensorPrimitives.Multiply(s, t, y);
        TensorPrimitives.Subtract(T.One, y, y);
        TensorPrimitives.CopySign(y, a, y);
        // The series, for the small ones: 2/sqrt(pi) a (1 - a^2/3 + a^4/10 - ...), Horner in a^2.
        TensorPrimitives.Multiply(a, a, t);
        s.Fill(ErfSeries[0]);
        for (int k = 1; k < ErfSeries.Length; k++)
        {
            TensorPrimitives.Multiply(s, t, s);
            TensorPrimitives.Add(s, ErfSeries[k], s);
        }
        TensorPrimitives.Multiply(s, a, s);
        TensorPrimitives.Multiply(s, TwoOverSqrtPi, s);
        for (int i = 0; i < a.Length; i++)
            if (T.Abs(a[i]) < ErfSmall) y[i] = s[i]; // NaN is not small: it keeps the NaN A&S gave
    }
}
