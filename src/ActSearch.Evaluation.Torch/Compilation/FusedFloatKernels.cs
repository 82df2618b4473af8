using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector512<float>;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// float32 kernels of the primitives that cost the most, 16 lanes wide (AVX-512), each one vector loop: the forward, and
/// the derivative-times-gradient-accumulate of the backward in one pass, where <see cref="FusedKernels{T}"/> would chain
/// three to twenty TensorPrimitives passes. Each primitive is a struct (<see cref="IKernel"/>), so the JIT specializes the
/// loop for it and inlines the arithmetic: no call per vector.
/// <para>
/// Only on hardware with AVX-512 (<see cref="Enabled"/>); elsewhere the generic kernels run (TensorPrimitives, as wide as
/// the machine has). The math is our own, since Vector512.Exp and TensorPrimitives.Exp (float) are 2-5x slower than a
/// plain polynomial here: exp by Cody-Waite reduction and Cephes' degree-6 polynomial (within 1.2e-7 relative, denormals
/// included), log by Cephes' logf polynomial, tanh by a clamped rational function (Eigen's, within 3e-7 relative, +-1
/// from |x| = 7.9 on), erf by Abramowitz-Stegun 7.1.26 from 0.5 and the Maclaurin series below (within 7e-7 relative),
/// sin and cos by Cephes' sinf/cosf (MathF per lane beyond |x| = 8192). The arithmetic primitives (neg, abs, square,
/// cube, sqrt; add, sub, mul, div, pdiv, max, min) are here for the loops <see cref="FusedProgram"/> generates per formula.
/// NaN stays NaN and +-Inf go where libtorch sends them (tanh +-1, sigmoid 1 and 0, exp Inf and 0, sin and cos NaN).
/// </para>
/// </summary>
internal static class FusedFloatKernels
{
    private const int Width = 16;

    /// <summary>Whether these kernels run: AVX-512 is there (Vector512 without it would be emulated, slower than the generic path).</summary>
    public static readonly bool Enabled = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Every primitive these kernels have, by the registry's name: unary ones for <see cref="TryUnary"/> and
    /// <see cref="TryUnaryBackward"/> (the interpreter, chunk by chunk) and for the generated loops of
    /// <see cref="FusedProgram"/>, binary ones for the generated loops only (the interpreter's TensorPrimitives are as
    /// fast for them). A formula whose primitives are all here compiles into one generated loop.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, Type> UnaryKernels = new Dictionary<string, Type>
    {
        ["neg"] = typeof(Neg), ["abs"] = typeof(Abs), ["square"] = typeof(Square), ["cube"] = typeof(Cube), ["sqrt"] = typeof(Sqrt),
        ["tanh"] = typeof(Tanh), ["sigmoid"] = typeof(Sigmoid), ["erf"] = typeof(Erf), ["gauss"] = typeof(Gauss), ["exp"] = typeof(Exp),
        ["softplus"] = typeof(Softplus), ["relu"] = typeof(Relu), ["sin"] = typeof(Sin), ["cos"] = typeof(Cos),
    };

    /// <inheritdoc cref="UnaryKernels"/>
    internal static readonly IReadOnlyDictionary<string, Type> BinaryKernels = new Dictionary<string, Type>
    {
        ["add"] = typeof(Add), ["sub"] = typeof(Sub), ["mul"] = typeof(Mul), ["div"] = typeof(Div), ["pdiv"] = typeof(PDiv),
        ["max"] = typeof(Max), ["min"] = typeof(Min),
    };

    private delegate void MapFunction(ReadOnlySpan<float> a, Span<float> y);

    private delegate void AccumulateFunction(ReadOnlySpan<float> a, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> ga);

    // The loops of each unary kernel, specialized for it once (a struct type argument: the JIT inlines its arithmetic).
    private static readonly Dictionary<string, (MapFunction Map, AccumulateFunction Accumulate)> Loops = UnaryKernels.ToDictionary(
        k => k.Key,
        k => (typeof(FusedFloatKernels).GetMethod(nameof(Map), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(k.Value).CreateDelegate<MapFunction>(),
              typeof(FusedFloatKernels).GetMethod(nameof(Accumulate), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(k.Value).CreateDelegate<AccumulateFunction>()));

    public static bool TryUnary(string name, ReadOnlySpan<float> a, Span<float> y)
    {
        if (!Enabled || !Loops.TryGetValue(name, out var loops)) return false;
        loops.Map(a, y);
        return true;
    }

    /// <summary>ga += g * f'(a), with y = f(a), in one pass.</summary>
    public static bool TryUnaryBackward(string name, ReadOnlySpan<float> a, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> ga)
    {
        if (!Enabled || !Loops.TryGetValue(name, out var loops)) return false;
        loops.Accumulate(a, y, g, ga);
        return true;
    }

    /// <summary>A primitive: its value, and the factor of its derivative that multiplies the incoming gradient.</summary>
    internal interface IKernel
    {
        static abstract V Value(V a);

        /// <summary>ga + g * f'(a) as autograd computes it for the op chain (with y = f(a) where the derivative uses it).</summary>
        static abstract V Accumulate(V a, V y, V g, V ga);
    }

    /// <summary>
    /// A primitive whose value and derivative need the same costly intermediate (e^(-a^2) for erf): the generated loops
    /// compute it once per vector and hand it to both; <see cref="IKernel.Value"/> and <see cref="IKernel.Accumulate"/>
    /// compute it themselves, with the same arithmetic, so both paths give the same bits.
    /// </summary>
    internal interface ISharingKernel : IKernel
    {
        static abstract V Shared(V a);

        static abstract V Value(V a, V shared);

        static abstract V Accumulate(V a, V y, V shared, V g, V ga);
    }

    /// <summary>A binary primitive: its value, and what each operand's gradient accumulates (y = f(a, b)).</summary>
    internal interface IBinaryKernel
    {
        static abstract V Value(V a, V b);

        static abstract V AccumulateLeft(V a, V b, V y, V g, V ga);

        static abstract V AccumulateRight(V a, V b, V y, V g, V gb);
    }

    private static void Map<TKernel>(ReadOnlySpan<float> a, Span<float> y) where TKernel : struct, IKernel
    {
        int i = 0;
        for (; i <= a.Length - Width; i += Width) TKernel.Value(Vector512.Create(a[i..])).CopyTo(y[i..]);
        if (i == a.Length) return;
        // The tail through a padded vector, so it gets the same arithmetic as the body.
        Span<float> pad = stackalloc float[Width];
        a[i..].CopyTo(pad);
        TKernel.Value(Vector512.Create(pad)).CopyTo(pad);
        pad[..(a.Length - i)].CopyTo(y[i..]);
    }

    private static void Accumulate<TKernel>(ReadOnlySpan<float> a, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> ga) where TKernel : struct, IKernel
    {
        int i = 0;
        for (; i <= a.Length - Width; i += Width)
            TKernel.Accumulate(Vector512.Create(a[i..]), Vector512.Create(y[i..]), Vector512.Create(g[i..]), Vector512.Create(ga[i..])).CopyTo(ga[i..]);
        if (i == a.Length) return;
        int n = a.Length - i;
        Span<float> pa = stackalloc float[Width], py = stackalloc float[Width], pg = stackalloc float[Width], pga = stackalloc float[Width];
        a[i..].CopyTo(pa);
        y[i..].CopyTo(py);
        g[i..].CopyTo(pg);
        ga[i..].CopyTo(pga);
        TKernel.Accumulate(Vector512.Create(pa), Vector512.Create(py), Vector512.Create(pg), Vector512.Create(pga)).CopyTo(pga);
        pga[..n].CopyTo(ga[i..]);
    }

    private static V C(float value) => Vector512.Create(value);

    private static V KeepNaN(V x, V result) => Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);

    internal readonly struct Tanh : IKernel
    {
        public static V Value(V a)
        {
            var x = Vector512.Min(Vector512.Max(a, C(-7.90531110763549805f)), C(7.90531110763549805f));
            var x2 = x * x;
            var p = C(-2.76076847742355e-16f);
            p = Vector512.FusedMultiplyAdd(x2, p, C(2.00018790482477e-13f));
            p = Vector512.FusedMultiplyAdd(x2, p, C(-8.60467152213735e-11f));
            p = Vector512.FusedMultiplyAdd(x2, p, C(5.12229709037114e-08f));
            p = Vector512.FusedMultiplyAdd(x2, p, C(1.48572235717979e-05f));
            p = Vector512.FusedMultiplyAdd(x2, p, C(6.37261928875436e-04f));
            p = Vector512.FusedMultiplyAdd(x2, p, C(4.89352455891786e-03f));
            var q = C(1.19825839466702e-06f);
            q = Vector512.FusedMultiplyAdd(x2, q, C(1.18534705686654e-04f));
            q = Vector512.FusedMultiplyAdd(x2, q, C(2.26843463243900e-03f));
            q = Vector512.FusedMultiplyAdd(x2, q, C(4.89352518554385e-03f));
            var t = x * p / q;
            var ax = Vector512.Abs(a);
            t = Vector512.ConditionalSelect(Vector512.LessThan(ax, C(4e-4f)), a, t); // tanh(x) = x in float there (and keeps -0)
            t = Vector512.ConditionalSelect(Vector512.GreaterThan(ax, C(7.90531110763549805f)), Vector512.CopySign(V.One, a), t);
            return KeepNaN(a, t);
        }

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, V.One - y * y, ga);
    }

    internal readonly struct Sigmoid : IKernel
    {
        public static V Value(V a) => V.One / (V.One + Exp.Value(-a));

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, y * (V.One - y), ga);
    }

    internal readonly struct Erf : ISharingKernel
    {
        /// <summary>e^(-a^2): the tail of erf(a) and its derivative both need it.</summary>
        public static V Shared(V a) => Exp.Value(-(a * a));

        public static V Value(V a) => Value(a, Shared(a));

        /// <summary>erf(a), given e^(-a^2).</summary>
        public static V Value(V a, V expMinusSquare)
        {
            var ax = Vector512.Abs(a);
            var t = V.One / Vector512.FusedMultiplyAdd(C(0.3275911f), ax, V.One);
            var p = C(1.061405429f);
            p = Vector512.FusedMultiplyAdd(p, t, C(-1.453152027f));
            p = Vector512.FusedMultiplyAdd(p, t, C(1.421413741f));
            p = Vector512.FusedMultiplyAdd(p, t, C(-0.284496736f));
            p = Vector512.FusedMultiplyAdd(p, t, C(0.254829592f));
            var a2 = a * a;
            var tail = Vector512.CopySign(V.One - p * t * expMinusSquare, a);
            var s = C(1f / 9360);
            s = Vector512.FusedMultiplyAdd(s, a2, C(-1f / 1320));
            s = Vector512.FusedMultiplyAdd(s, a2, C(1f / 216));
            s = Vector512.FusedMultiplyAdd(s, a2, C(-1f / 42));
            s = Vector512.FusedMultiplyAdd(s, a2, C(1f / 10));
            s = Vector512.FusedMultiplyAdd(s, a2, C(-1f / 3));
            s = Vector512.FusedMultiplyAdd(s, a2, V.One);
            var series = C(1.1283791670955126f) * a * s;
            return Vector512.ConditionalSelect(Vector512.LessThan(ax, C(0.5f)), series, tail); // NaN is not small: A&S keeps it
        }

        public static V Accumulate(V a, V y, V g, V ga) => Accumulate(a, y, Shared(a), g, ga);

        public static V Accumulate(V a, V y, V expMinusSquare, V g, V ga) => Vector512.FusedMultiplyAdd(g, C(1.1283791670955126f) * expMinusSquare, ga);
    }

    internal readonly struct Gauss : IKernel
    {
        public static V Value(V a) => Exp.Value(-(a * a));

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, C(-2f) * a * y, ga);
    }

    internal readonly struct Softplus : IKernel
    {
        // max(a, 0) + log1p(e^-|a|): no overflow; log1p(t) = log(u) t / (u - 1) with u = 1 + t (exact where u rounds), t
        // where u is 1.
        public static V Value(V a)
        {
            var t = Exp.Value(-Vector512.Abs(a));
            var u = V.One + t;
            var log1p = Vector512.ConditionalSelect(Vector512.Equals(u, V.One), t, Log(u) * t / (u - V.One));
            return KeepNaN(a, Vector512.Max(a, V.Zero) + log1p);
        }

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, Sigmoid.Value(a), ga);
    }

    internal readonly struct Relu : IKernel
    {
        // NaN passes, as libtorch's relu (clamp_min) gives it.
        public static V Value(V a) => Vector512.ConditionalSelect(Vector512.GreaterThan(a, V.Zero) | ~Vector512.Equals(a, a), a, V.Zero);

        // Autograd selects (threshold_backward): where a <= 0 the gradient is 0 even if g is NaN; NaN passes it.
        public static V Accumulate(V a, V y, V g, V ga) =>
            ga + Vector512.ConditionalSelect(Vector512.GreaterThan(a, V.Zero) | ~Vector512.Equals(a, a), g, V.Zero);
    }

    // The arithmetic ones, as the generic kernels compute them (exact in IEEE arithmetic, so the same results).
    internal readonly struct Neg : IKernel
    {
        public static V Value(V a) => -a;

        public static V Accumulate(V a, V y, V g, V ga) => ga - g;
    }

    internal readonly struct Abs : IKernel
    {
        public static V Value(V a) => Vector512.Abs(a);

        // Autograd: g * sgn(a), with sgn(0) = sgn(NaN) = 0.
        public static V Accumulate(V a, V y, V g, V ga) =>
            Vector512.FusedMultiplyAdd(g, Vector512.ConditionalSelect(Vector512.GreaterThan(a, V.Zero), V.One, Vector512.ConditionalSelect(Vector512.LessThan(a, V.Zero), -V.One, V.Zero)), ga);
    }

    internal readonly struct Square : IKernel
    {
        public static V Value(V a) => a * a;

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, a * C(2f), ga);
    }

    internal readonly struct Cube : IKernel
    {
        public static V Value(V a) => a * a * a;

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, a * a * C(3f), ga);
    }

    internal readonly struct Sqrt : IKernel
    {
        public static V Value(V a) => Vector512.Sqrt(a);

        public static V Accumulate(V a, V y, V g, V ga) => ga + g / (C(2f) * y);
    }

    internal readonly struct Add : IBinaryKernel
    {
        public static V Value(V a, V b) => a + b;

        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => ga + g;

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => gb + g;
    }

    internal readonly struct Sub : IBinaryKernel
    {
        public static V Value(V a, V b) => a - b;

        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => ga + g;

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => gb - g;
    }

    internal readonly struct Mul : IBinaryKernel
    {
        public static V Value(V a, V b) => a * b;

        // Not fused: g * b rounded, then added, as the interpreter's TensorPrimitives.MultiplyAdd does it.
        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => g * b + ga;

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => g * a + gb;
    }

    internal readonly struct Div : IBinaryKernel
    {
        public static V Value(V a, V b) => a / b;

        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => ga + g / b;

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => gb + -g * a / (b * b);
    }

    /// <summary>Protected division: 1 where b is 0, and there both gradients are 0 (selected, even for a NaN g or a).</summary>
    internal readonly struct PDiv : IBinaryKernel
    {
        public static V Value(V a, V b) => Vector512.ConditionalSelect(Vector512.Equals(b, V.Zero), V.One, a / b);

        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => Vector512.ConditionalSelect(Vector512.Equals(b, V.Zero), ga, ga + g / b);

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => Vector512.ConditionalSelect(Vector512.Equals(b, V.Zero), gb, gb + -g * a / (b * b));
    }

    /// <summary>
    /// max and min with NaN where either operand is NaN; their gradient goes to the larger (smaller) operand, in halves
    /// on a tie, in full to both where either is NaN, and an operand that gets nothing gets 0 (selected, even for a NaN g).
    /// </summary>
    internal readonly struct Max : IBinaryKernel
    {
        public static V Value(V a, V b) => MaxMin(a, b, max: true);

        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => Share(a, b, g, ga, max: true);

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => Share(b, a, g, gb, max: true);
    }

    /// <inheritdoc cref="Max"/>
    internal readonly struct Min : IBinaryKernel
    {
        public static V Value(V a, V b) => MaxMin(a, b, max: false);

        public static V AccumulateLeft(V a, V b, V y, V g, V ga) => Share(a, b, g, ga, max: false);

        public static V AccumulateRight(V a, V b, V y, V g, V gb) => Share(b, a, g, gb, max: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V MaxMin(V a, V b, bool max)
    {
        var nan = ~(Vector512.Equals(a, a) & Vector512.Equals(b, b));
        // Vector512.Max/Min order -0 below +0, as float.Max and float.Min do.
        return Vector512.ConditionalSelect(nan, C(float.NaN), max ? Vector512.Max(a, b) : Vector512.Min(a, b));
    }

    /// <summary>The gradient of this operand (<paramref name="self"/>) of max or min against <paramref name="other"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Share(V self, V other, V g, V accumulated, bool max)
    {
        var nan = ~(Vector512.Equals(self, self) & Vector512.Equals(other, other));
        var wins = max ? Vector512.GreaterThan(self, other) : Vector512.LessThan(self, other);
        var tie = Vector512.Equals(self, other);
        var share = Vector512.ConditionalSelect(nan | wins, V.One, Vector512.ConditionalSelect(tie, C(0.5f), V.Zero));
        return Vector512.ConditionalSelect(Vector512.Equals(share, V.Zero), accumulated, accumulated + g * share);
    }

    internal readonly struct Sin : IKernel
    {
        public static V Value(V a) => SinCos(a, cosine: false);

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, SinCos(a, cosine: true), ga);
    }

    internal readonly struct Cos : IKernel
    {
        public static V Value(V a) => SinCos(a, cosine: true);

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, -SinCos(a, cosine: false), ga);
    }

    /// <summary>Beyond this |a| the three-part reduction by pi/4 loses bits: those lanes take MathF's sin and cos.</summary>
    private const float SinCosReducible = 8192f;

    /// <summary>
    /// sin or cos by Cephes' sinf/cosf: |a| = j pi/4 + r with j even and |r| &lt;= pi/4 (pi/4 in three parts, so r is
    /// exact to float rounding up to |a| = 8192), then the sine or cosine polynomial of r by the octant, and the sign.
    /// NaN stays NaN; +-Inf and larger |a| go through MathF per lane (sin(Inf) is NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V SinCos(V a, bool cosine)
    {
        var ax = Vector512.Abs(a);
        var j = Vector512.ConvertToInt32(ax * C(1.27323954473516f)); // 4 / pi, truncated
        j = (j + Vector512<int>.One) & Vector512.Create(~1);          // to the even octant boundary nearest below or above
        var n = Vector512.ConvertToSingle(j);
        var r = Vector512.FusedMultiplyAdd(n, C(-0.78515625f), ax);
        r = Vector512.FusedMultiplyAdd(n, C(-2.4187564849853515625e-4f), r);
        r = Vector512.FusedMultiplyAdd(n, C(-3.77489497744594108e-8f), r);
        var z = r * r;
        var sineR = Vector512.FusedMultiplyAdd(C(-1.9515295891E-4f), z, C(8.3321608736E-3f));
        sineR = Vector512.FusedMultiplyAdd(sineR, z, C(-1.6666654611E-1f));
        sineR = Vector512.FusedMultiplyAdd(sineR * z, r, r);
        var cosineR = Vector512.FusedMultiplyAdd(C(2.443315711809948E-5f), z, C(-1.388731625493765E-3f));
        cosineR = Vector512.FusedMultiplyAdd(cosineR, z, C(4.166664568298827E-2f));
        cosineR = Vector512.FusedMultiplyAdd(cosineR * z, z, Vector512.FusedMultiplyAdd(C(-0.5f), z, V.One));
        // Octants j = 0, 2, 4, 6: sin(|a|) is sin r, cos r, -sin r, -cos r; cos(|a|) is cos r, -sin r, -cos r, sin r.
        var evenQuadrant = Vector512.Equals(j & Vector512.Create(2), Vector512<int>.Zero).AsSingle();
        var result = cosine ? Vector512.ConditionalSelect(evenQuadrant, cosineR, sineR) : Vector512.ConditionalSelect(evenQuadrant, sineR, cosineR);
        var flip = cosine
            ? Vector512.ShiftLeft((j + Vector512.Create(2)) & Vector512.Create(4), 29)
            : Vector512.ShiftLeft(j & Vector512.Create(4), 29) ^ (a.AsInt32() & Vector512.Create(int.MinValue)); // sin is odd
        result = (result.AsInt32() ^ flip).AsSingle();
        if (Vector512.GreaterThanOrEqualAny(ax, C(SinCosReducible))) result = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(ax, C(SinCosReducible)), SinCosPerLane(a, cosine), result);
        return KeepNaN(a, result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static V SinCosPerLane(V a, bool cosine)
    {
        Span<float> lanes = stackalloc float[Width];
        for (int i = 0; i < Width; i++) lanes[i] = cosine ? MathF.Cos(a.GetElement(i)) : MathF.Sin(a.GetElement(i));
        return Vector512.Create(lanes);
    }

    internal readonly struct Exp : IKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V Value(V a)
        {
            // a = n ln2 + r with |r| <= ln2 / 2 (ln2 in two parts), e^r by Cephes' polynomial, 2^n as two factors so that n
            // down to -150 (the denormals) scales right.
            var x = Vector512.Min(Vector512.Max(a, C(-104f)), C(89f));
            var n = Vector512.Round(x * C(1.44269504088896341f));
            var r = Vector512.FusedMultiplyAdd(n, C(-0.693359375f), x);
            r = Vector512.FusedMultiplyAdd(n, C(2.12194440e-4f), r);
            var p = C(1.9875691500E-4f);
            p = Vector512.FusedMultiplyAdd(p, r, C(1.3981999507E-3f));
            p = Vector512.FusedMultiplyAdd(p, r, C(8.3334519073E-3f));
            p = Vector512.FusedMultiplyAdd(p, r, C(4.1665795894E-2f));
            p = Vector512.FusedMultiplyAdd(p, r, C(1.6666665459E-1f));
            p = Vector512.FusedMultiplyAdd(p, r, C(5.0000001201E-1f));
            p = Vector512.FusedMultiplyAdd(p * r, r, r + V.One);
            var k = Vector512.ConvertToInt32(n);
            var half = Vector512.ShiftRightArithmetic(k, 1);
            var e = p * Vector512.ShiftLeft(half + Vector512.Create(127), 23).AsSingle() * Vector512.ShiftLeft(k - half + Vector512.Create(127), 23).AsSingle();
            e = Vector512.ConditionalSelect(Vector512.GreaterThan(a, C(88.72283935546875f)), C(float.PositiveInfinity), e);
            e = Vector512.ConditionalSelect(Vector512.LessThan(a, C(-103.972076416f)), V.Zero, e);
            return KeepNaN(a, e);
        }

        public static V Accumulate(V a, V y, V g, V ga) => Vector512.FusedMultiplyAdd(g, y, ga);
    }

    /// <summary>log of finite x > 0 (normal numbers): x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m by Cephes' logf polynomial.</summary>
    private static V Log(V x)
    {
        var bits = x.AsInt32();
        var e = Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(127);
        var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F800000)).AsSingle();
        var big = Vector512.GreaterThan(m, C(1.41421356f));
        m = Vector512.ConditionalSelect(big, m * C(0.5f), m);
        var ef = Vector512.ConvertToSingle(e) + Vector512.ConditionalSelect(big, V.One, V.Zero);
        var f = m - V.One;
        var z = f * f;
        var p = C(7.0376836292E-2f);
        p = Vector512.FusedMultiplyAdd(p, f, C(-1.1514610310E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(1.1676998740E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(-1.2420140846E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(1.4249322787E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(-1.6668057665E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(2.0000714765E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(-2.4999993993E-1f));
        p = Vector512.FusedMultiplyAdd(p, f, C(3.3333331174E-1f));
        var r = p * f * z;
        r = Vector512.FusedMultiplyAdd(ef, C(-2.12194440e-4f), r);
        r = Vector512.FusedMultiplyAdd(z, C(-0.5f), r);
        return Vector512.FusedMultiplyAdd(ef, C(0.693359375f), f + r);
    }
}
