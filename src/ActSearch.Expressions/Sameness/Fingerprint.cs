namespace ActSearch.Expressions;

/// <summary>
/// A functional fingerprint: the hash of a candidate's outputs on fixed, seeded probe inputs, quantized to
/// six significant digits (AQuaSurF's output distribution, AutoML-Zero's functional-equivalence cache).
/// Formulas that compute the same function get the same fingerprint however they are written; parameters
/// sit at their initial values. Element-wise formulas are probed at scalar points; layers (formulas with
/// tensor statistics) on an NCHW tensor, so the two kinds never collide. Learned units add their kind and shape
/// (<see cref="LearnedUnit.ShapeKey"/>): their coefficients will train, so a unit equal to a fixed function at
/// initialization is another function.
/// </summary>
public readonly record struct Fingerprint(ulong Value)
{
    /// <summary>The scalar probe points: a grid over [-6, 6], 64 seeded N(0, 1) samples and a few large inputs.</summary>
    public static IReadOnlyList<double> ScalarProbe => Probes.Scalar;

    /// <summary>Shape of the layer probe tensor (C = 64 so group(32) differs from instance statistics).</summary>
    public static TensorShape LayerProbeShape => Probes.LayerShape;

    /// <summary>The layer probe tensor: seeded normal values with per-channel scales and shifts.</summary>
    public static IReadOnlyList<double> LayerProbe => Probes.Layer;

    public static Fingerprint Of(Expr expr) => Of(CompiledExpr.Compile(expr));

    public static Fingerprint Of(CompiledExpr compiled)
    {
        double[] outputs = ProbeOutputs(compiled);
        ulong h = compiled.HasAggregates ? 0x1A7E2UL : 0x5CA1A2UL;
        foreach (double v in outputs) h = Expr.Mix(h, Quantize(v));
        // A learned unit's coefficients are parameters: spline{3,8}(x) starts as silu but is not silu once it trains, so
        // the kinds of units (not their names or initial values, which the outputs already say) are part of the function.
        if (compiled.Root.ContainsLearnedUnits)
            foreach (string shape in compiled.Root.LearnedUnits().Select(u => u.Unit.ShapeKey).Order(StringComparer.Ordinal))
                h = Expr.Mix(h, Expr.HashString(shape));
        return new Fingerprint(h);
    }

    /// <summary>The outputs the fingerprint hashes (scalar probe, or layer probe for layers).</summary>
    public static double[] ProbeOutputs(CompiledExpr compiled)
    {
        if (!compiled.HasAggregates) return compiled.Evaluate(Probes.Scalar);
        var y = new double[Probes.Layer.Length];
        compiled.Evaluate(Probes.Layer, y, Probes.LayerShape);
        return y;
    }

    /// <summary>
    /// Six significant digits, with every value below 1e-9 in magnitude taken as 0 and one code each for
    /// NaN, +Inf and -Inf. Equal functions computed in different orders differ by a few ulps, far below this.
    /// </summary>
    public static ulong Quantize(double v)
    {
        if (double.IsNaN(v)) return 1;
        if (double.IsPositiveInfinity(v)) return 2;
        if (double.IsNegativeInfinity(v)) return 3;
        double a = Math.Abs(v);
        if (a < 1e-9) return 0;
        int e = (int)Math.Floor(Math.Log10(a));
        double m = Math.Round(a / Math.Pow(10, e - 5));
        if (m >= 1_000_000)
        {
            m /= 10;
            e++;
        }
        else if (m < 100_000)
        {
            m *= 10;
            e--;
        }
        return ((ulong)(long)m << 12) ^ ((ulong)(e + 1024) << 1) ^ (v < 0 ? 1UL << 60 : 0) ^ 4;
    }

    public override string ToString() => Value.ToString("x16");

    public static Fingerprint Parse(string hex) => new(Convert.ToUInt64(hex, 16));

    private static class Probes
    {
        public static readonly TensorShape LayerShape = new(4, 64, 3, 3);
        public static readonly double[] Scalar = BuildScalar();
        public static readonly double[] Layer = BuildLayer();

        private static double[] BuildScalar()
        {
            var points = new List<double>();
            for (int i = -20; i <= 20; i++) points.Add(i * 0.3);
            var g = new Gaussian(0xF1A6E2);
            for (int i = 0; i < 64; i++) points.Add(g.Next());
            points.AddRange([-50, -20, -10, 10, 20, 50]);
            return [.. points];
        }

        private static double[] BuildLayer()
        {
            var s = LayerShape;
            var g = new Gaussian(0x1A7E25);
            var scale = new double[s.C];
            var shift = new double[s.C];
            for (int c = 0; c < s.C; c++)
            {
                scale[c] = 0.5 + Math.Abs(g.Next());
                shift[c] = g.Next();
            }
            var data = new double[s.Length];
            for (int i = 0; i < data.Length; i++)
            {
                int c = i / (s.H * s.W) % s.C;
                data[i] = shift[c] + scale[c] * g.Next();
            }
            return data;
        }
    }

    // A tiny fixed generator (splitmix64 + Box–Muller) so the probes never change with the runtime's Random.
    private sealed class Gaussian(ulong seed)
    {
        private ulong _state = seed;

        private double Uniform()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return ((z >> 11) + 0.5) * (1.0 / (1UL << 53));
        }

        public double Next() => Math.Sqrt(-2 * Math.Log(Uniform())) * Math.Cos(2 * Math.PI * Uniform());
    }
}
