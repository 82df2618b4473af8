using System.Numerics;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// float32 kernels of the hottest primitives as one vector loop each (forward, and derivative-times-gradient-accumulate
/// in one pass), where <see cref="FusedKernels{T}"/> would chain three to twenty TensorPrimitives passes: tanh, sigmoid,
/// erf, gauss. Each returns false for a primitive it does not have. Accuracy: tanh and sigmoid within a few float ulps
/// (a series for tanh below 0.1 keeps its relative precision near 0); erf within 3e-7 relative (Abramowitz-Stegun 7.1.26
/// from 0.5, the Maclaurin series below).
/// </summary>
internal static class FusedFloatKernels
{
    private static readonly int Width = Vector<float>.Count;

    public static bool TryUnary(string name, ReadOnlySpan<float> a, Span<float> y)
    {
        Func<Vector<float>, Vector<float>>? vector = name switch
        {
            "tanh" => Tanh,
            "sigmoid" => Sigmoid,
            "erf" => Erf,
            "gauss" => v => Vector.Exp(-(v * v)),
            _ => null,
        };
        if (vector is null) return false;
        int i = 0;
        for (; i <= a.Length - Width; i += Width) vector(new Vector<float>(a[i..])).CopyTo(y[i..]);
        if (i < a.Length)
        {
            // The tail through a padded vector, so it gets the same arithmetic as the body.
            Span<float> pad = stackalloc float[Width];
            a[i..].CopyTo(pad);
            vector(new Vector<float>(pad)).CopyTo(pad);
            pad[..(a.Length - i)].CopyTo(y[i..]);
        }
        return true;
    }

    /// <summary>ga += g * f'(a), with y = f(a), in one pass.</summary>
    public static bool TryUnaryBackward(string name, ReadOnlySpan<float> a, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> ga)
    {
        Func<Vector<float>, Vector<float>, Vector<float>>? derivative = name switch
        {
            "tanh" => (_, v) => Vector<float>.One - v * v,
            "sigmoid" => (_, v) => v * (Vector<float>.One - v),
            "erf" => (u, _) => new Vector<float>(1.1283791670955126f) * Vector.Exp(-(u * u)),
            "gauss" => (u, v) => new Vector<float>(-2f) * u * v,
            _ => null,
        };
        if (derivative is null) return false;
        int i = 0;
        for (; i <= a.Length - Width; i += Width)
            (new Vector<float>(ga[i..]) + new Vector<float>(g[i..]) * derivative(new Vector<float>(a[i..]), new Vector<float>(y[i..]))).CopyTo(ga[i..]);
        if (i < a.Length)
        {
            int n = a.Length - i;
            Span<float> pa = stackalloc float[Width], py = stackalloc float[Width];
            a[i..].CopyTo(pa);
            y[i..].CopyTo(py);
            derivative(new Vector<float>(pa), new Vector<float>(py)).CopyTo(pa);
            for (int j = 0; j < n; j++) ga[i + j] += g[i + j] * pa[j];
        }
        return true;
    }

    private static Vector<float> Tanh(Vector<float> x)
    {
        // 1 - 2 / (e^(2x) + 1): exact at the ends (e^(2x) overflows to Inf: 1; underflows to 0: -1), NaN stays NaN.
        var viaExp = Vector<float>.One - new Vector<float>(2f) / (Vector.Exp(x + x) + Vector<float>.One);
        var x2 = x * x;
        var series = x * (Vector<float>.One - x2 * (new Vector<float>(1f / 3) - x2 * (new Vector<float>(2f / 15) - x2 * new Vector<float>(17f / 315))));
        return Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), new Vector<float>(0.1f)), series, viaExp);
    }

    private static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Vector.Exp(-x));

    private static Vector<float> Erf(Vector<float> x)
    {
        var ax = Vector.Abs(x);
        var t = Vector<float>.One / (Vector<float>.One + new Vector<float>(0.3275911f) * ax);
        var p = new Vector<float>(1.061405429f);
        p = p * t + new Vector<float>(-1.453152027f);
        p = p * t + new Vector<float>(1.421413741f);
        p = p * t + new Vector<float>(-0.284496736f);
        p = p * t + new Vector<float>(0.254829592f);
        var tail = Vector<float>.One - p * t * Vector.Exp(-(x * x));
        tail = Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -tail, tail);
        var x2 = x * x;
        var s = new Vector<float>(1f / 9360);
        s = s * x2 - new Vector<float>(1f / 1320);
        s = s * x2 + new Vector<float>(1f / 216);
        s = s * x2 - new Vector<float>(1f / 42);
        s = s * x2 + new Vector<float>(1f / 10);
        s = s * x2 - new Vector<float>(1f / 3);
        s = s * x2 + Vector<float>.One;
        var series = new Vector<float>(1.1283791670955126f) * x * s;
        return Vector.ConditionalSelect(Vector.LessThan(ax, new Vector<float>(0.5f)), series, tail);
    }
}
