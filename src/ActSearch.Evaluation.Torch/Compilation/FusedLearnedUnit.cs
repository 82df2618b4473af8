using System.Numerics;
using System.Runtime.InteropServices;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// A learned unit (<see cref="LearnedUnit"/>) as one CPU op: forward computes f(x) in one pass, backward gives f'(x) * grad
/// and the gradient of every coefficient (summed per coefficient set) in one pass, where the op chain of
/// <see cref="LearnedUnitOps"/> runs 20 to 60 element-wise ops and saves their outputs. Arithmetic is in double (float32
/// inputs are converted on the way in and out); a rational unit runs <see cref="Vector{T}"/>-wide Horner loops, a spline
/// one polynomial per grid interval (Horner in the interval's coordinate) beside a vectorized sigmoid for its residual. Runs on the calling thread only, like <see cref="FusedProgram"/>, so a training slot stays
/// one thread. Coefficient sets of a grouped unit cover contiguous channels, so each set is a run of whole channels.
/// </summary>
internal sealed class FusedLearnedUnit : autograd.SingleTensorFunction<FusedLearnedUnit>
{
    private const string UnitKey = "unit";

    public override string Name => "ActSearchLearnedUnit";

    /// <summary>f(x) of <paramref name="unit"/> with its coefficient tensor (shaped as <see cref="LearnedUnitOps.Initial"/>).</summary>
    public static Tensor Apply(LearnedUnit unit, Tensor x, Tensor coefficients) => apply([x, unit, coefficients]);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var unit = (LearnedUnit)vars[1];
        var coefficients = (Tensor)vars[2];
        // No using: to() may hand back the input itself when it is already double.
        var xd = x.to(ScalarType.Float64).contiguous();
        var yd = empty_like(xd);
        double[] c = Values(coefficients);
        var (run, sets) = Runs(unit, x);
        var xs = Span(xd);
        var ys = Span(yd);
        for (long start = 0, r = 0; start < xs.Length; start += run, r++)
        {
            int n = (int)Math.Min(run, xs.Length - start);
            var set = c.AsSpan((int)(r % sets) * unit.Count, unit.Count);
            Forward(unit, set, xs.Slice((int)start, n), ys.Slice((int)start, n));
        }
        ctx.save_for_backward([x, coefficients]);
        ctx.save_data(UnitKey, unit);
        return yd.to(x.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (x, coefficients) = (saved[0], saved[1]);
        var unit = (LearnedUnit)ctx.get_data(UnitKey);
        var xd = x.to(ScalarType.Float64).contiguous();
        var gd = gradOutput.to(ScalarType.Float64).contiguous();
        var dxd = empty_like(xd);
        double[] c = Values(coefficients);
        var dc = new double[c.Length];
        var (run, sets) = Runs(unit, x);
        var xs = Span(xd);
        var gs = Span(gd);
        var dxs = Span(dxd);
        for (long start = 0, r = 0; start < xs.Length; start += run, r++)
        {
            int n = (int)Math.Min(run, xs.Length - start);
            int at = (int)(r % sets) * unit.Count;
            Backward(unit, c.AsSpan(at, unit.Count), xs.Slice((int)start, n), gs.Slice((int)start, n), dxs.Slice((int)start, n), dc.AsSpan(at, unit.Count));
        }
        return [dxd.to(x.dtype), null!, tensor(dc, ScalarType.Float64).reshape(coefficients.shape).to(coefficients.dtype)];
    }

    /// <summary>
    /// Elements that share one coefficient set, and how many sets take turns: the whole tensor and 1 for an ungrouped unit;
    /// C / groups channels of H * W elements each, cycling through the groups per sample, for a grouped one.
    /// </summary>
    private static (long Run, long Sets) Runs(LearnedUnit unit, Tensor x)
    {
        if (unit.Groups == 1) return (Math.Max(x.numel(), 1), 1);
        long inner = 1;
        for (int d = 2; d < x.dim(); d++) inner *= x.shape[d];
        return (x.shape[1] / unit.Groups * inner, unit.Groups);
    }

    private static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();

    private static Span<double> Span(Tensor t) => FusedFunction.Span<double>(t);

    internal static void Forward(LearnedUnit unit, ReadOnlySpan<double> c, ReadOnlySpan<double> x, Span<double> y)
    {
        if (unit is SplineUnit spline)
        {
            SplineForward(spline, c, x, y);
            return;
        }
        int i = unit is RationalUnit r && Vector.IsHardwareAccelerated ? RationalForward(r, c, x, y) : 0;
        for (; i < x.Length; i++) y[i] = unit.Evaluate(c, x[i]);
    }

    internal static void Backward(LearnedUnit unit, ReadOnlySpan<double> c, ReadOnlySpan<double> x, ReadOnlySpan<double> g, Span<double> dx, Span<double> dc)
    {
        if (unit is SplineUnit spline)
        {
            SplineBackward(spline, c, x, g, dx, dc);
            return;
        }
        int i = unit is RationalUnit r && Vector.IsHardwareAccelerated ? RationalBackward(r, c, x, g, dx, dc) : 0;
        for (; i < x.Length; i++)
        {
            dx[i] = g[i] * unit.Derivative(c, x[i]);
            unit.AddCoefficientGradient(c, x[i], g[i], dc);
        }
    }

    // Elements per block of the spline kernels: the vectorized sigmoid of a block stays in L1.
    private const int SplineBlock = 1024;

    /// <summary>
    /// The spline part as one polynomial in u per interval of the extended grid: entry [j * (k + 1) + p] is the coefficient of
    /// u^p on interval j, the coefficients weighed by <see cref="SplineUnit.PieceMatrix"/>.
    /// </summary>
    private static double[] IntervalPolynomials(SplineUnit unit, ReadOnlySpan<double> c, double[,] pieces)
    {
        int k = unit.K, intervals = unit.Grid + 2 * k;
        var a = new double[intervals * (k + 1)];
        for (int j = 0; j < intervals; j++)
            for (int r = 0; r <= k; r++)
            {
                int b = j - k + r;
                if (b < 0 || b >= unit.Grid + k) continue;
                for (int p = 0; p <= k; p++) a[j * (k + 1) + p] += c[1 + b] * pieces[r, p];
            }
        return a;
    }

    private static void SplineForward(SplineUnit unit, ReadOnlySpan<double> c, ReadOnlySpan<double> x, Span<double> y)
    {
        int k = unit.K;
        var poly = IntervalPolynomials(unit, c, SplineUnit.PieceMatrix(k));
        Span<double> sigmoid = stackalloc double[SplineBlock];
        for (int start = 0; start < x.Length; start += SplineBlock)
        {
            var xs = x.Slice(start, Math.Min(SplineBlock, x.Length - start));
            var sg = sigmoid[..xs.Length];
            System.Numerics.Tensors.TensorPrimitives.Sigmoid(xs, sg);
            for (int i = 0; i < xs.Length; i++)
            {
                double xi = xs[i], v = c[0] * xi * sg[i];
                if (unit.Locate(xi, out int j, out double u))
                {
                    int at = j * (k + 1);
                    double s = poly[at + k];
                    for (int p = k - 1; p >= 0; p--) s = s * u + poly[at + p];
                    v += s;
                }
                y[start + i] = v;
            }
        }
    }

    private static void SplineBackward(SplineUnit unit, ReadOnlySpan<double> c, ReadOnlySpan<double> x, ReadOnlySpan<double> g, Span<double> dx, Span<double> dc)
    {
        int k = unit.K;
        var pieces = SplineUnit.PieceMatrix(k);
        var poly = IntervalPolynomials(unit, c, pieces);
        double inverseSpacing = 1 / unit.Spacing, dw = 0;
        Span<double> sigmoid = stackalloc double[SplineBlock];
        Span<double> weights = stackalloc double[k + 1];
        for (int start = 0; start < x.Length; start += SplineBlock)
        {
            var xs = x.Slice(start, Math.Min(SplineBlock, x.Length - start));
            var sg = sigmoid[..xs.Length];
            System.Numerics.Tensors.TensorPrimitives.Sigmoid(xs, sg);
            for (int i = 0; i < xs.Length; i++)
            {
                double xi = xs[i], si = sg[i], gi = g[start + i];
                double derivative = c[0] * (si + xi * si * (1 - si));
                dw += gi * xi * si;
                if (unit.Locate(xi, out int j, out double u))
                {
                    int at = j * (k + 1);
                    double ds = k * poly[at + k];
                    for (int p = k - 1; p >= 1; p--) ds = ds * u + p * poly[at + p];
                    derivative += ds * inverseSpacing;
                    for (int r = 0; r <= k; r++)
                    {
                        double w = pieces[r, k];
                        for (int p = k - 1; p >= 0; p--) w = w * u + pieces[r, p];
                        int b = j - k + r;
                        if (b >= 0 && b < unit.Grid + k) dc[1 + b] += gi * w;
                    }
                }
                dx[start + i] = gi * derivative;
            }
        }
        dc[0] += dw;
    }

    // The whole vectors of a rational unit, in the CPU kernel's Horner order; returns how many elements it did.
    private static int RationalForward(RationalUnit unit, ReadOnlySpan<double> c, ReadOnlySpan<double> x, Span<double> y)
    {
        int m = unit.M, n = unit.N;
        var k = Broadcast(c);
        var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
        var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
        for (int v = 0; v < vx.Length; v++)
        {
            var (p, q) = Horner(k, m, n, vx[v]);
            vy[v] = p / (Vector.Abs(q) + Vector<double>.One);
        }
        return vx.Length * Vector<double>.Count;
    }

    private static int RationalBackward(RationalUnit unit, ReadOnlySpan<double> c, ReadOnlySpan<double> x, ReadOnlySpan<double> g, Span<double> dx, Span<double> dc)
    {
        int m = unit.M, n = unit.N;
        var k = Broadcast(c);
        var scaled = new Vector<double>[m + n + 1]; // i * c_i: the derivative's coefficients
        for (int i = 0; i < scaled.Length; i++) scaled[i] = k[i] * new Vector<double>(i <= m ? i : i - m);
        var sums = new Vector<double>[m + n + 1];
        var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
        var vg = MemoryMarshal.Cast<double, Vector<double>>(g);
        var vdx = MemoryMarshal.Cast<double, Vector<double>>(dx);
        var one = Vector<double>.One;
        for (int v = 0; v < vx.Length; v++)
        {
            var xv = vx[v];
            var (p, q) = Horner(k, m, n, xv);
            var dp = scaled[m];
            for (int i = m - 1; i >= 1; i--) dp = dp * xv + scaled[i];
            var dq = Vector<double>.Zero;
            if (n > 0)
            {
                dq = scaled[m + n];
                for (int j = n - 1; j >= 1; j--) dq = dq * xv + scaled[m + j];
            }
            var d = Vector.Abs(q) + one;
            var sign = Vector.ConditionalSelect(Vector.GreaterThan(q, Vector<double>.Zero), one,
                Vector.ConditionalSelect(Vector.LessThan(q, Vector<double>.Zero), -one, Vector<double>.Zero));
            var gv = vg[v];
            vdx[v] = gv * ((dp * d - p * sign * dq) / (d * d));
            var a = gv / d;
            var b = -(gv * p * sign) / (d * d);
            var pw = one;
            for (int i = 0; i <= m; i++, pw *= xv) sums[i] += a * pw;
            pw = xv;
            for (int j = 1; j <= n; j++, pw *= xv) sums[m + j] += b * pw;
        }
        for (int i = 0; i < sums.Length; i++) dc[i] += Vector.Sum(sums[i]);
        return vx.Length * Vector<double>.Count;
    }

    private static Vector<double>[] Broadcast(ReadOnlySpan<double> c)
    {
        var k = new Vector<double>[c.Length];
        for (int i = 0; i < c.Length; i++) k[i] = new Vector<double>(c[i]);
        return k;
    }

    private static (Vector<double> P, Vector<double> Q) Horner(Vector<double>[] k, int m, int n, Vector<double> x)
    {
        var p = k[m];
        for (int i = m - 1; i >= 0; i--) p = p * x + k[i];
        var q = Vector<double>.Zero;
        if (n > 0)
        {
            q = k[m + n];
            for (int j = n - 1; j >= 1; j--) q = q * x + k[m + j];
            q *= x;
        }
        return (p, q);
    }
}
