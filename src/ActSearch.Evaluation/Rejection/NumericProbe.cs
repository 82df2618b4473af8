using System.Globalization;
using ActSearch.Evaluation.Data;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Rejection;

/// <summary>
/// Stage 2: the candidate evaluated by the CPU evaluator on seeded inputs (AQuaSurF's observation: the output
/// distribution on N(0, 1) samples already predicts much). What is measured and when it rejects:
/// <see cref="NumericProbeSettings"/>. Costs well under a millisecond for a typical formula.
/// </summary>
public sealed class NumericProbe : IRejectionStage
{
    /// <summary>Points of the grid -6, -5.7, ..., 6 that come first in <see cref="Points"/>.</summary>
    public const int GridPoints = 41;

    private readonly double[] _points;
    private readonly double[] _direction;

    public NumericProbe(NumericProbeSettings settings)
    {
        Settings = settings;
        var rng = new SeededRandom(settings.Seed);
        _points = new double[GridPoints + settings.Samples];
        for (int i = 0; i < GridPoints; i++) _points[i] = Math.Round((i - 20) * 0.3, 10);
        for (int i = GridPoints; i < _points.Length; i++) _points[i] = Gaussian(rng);
        _direction = new double[Fingerprint.LayerProbe.Count];
        for (int i = 0; i < _direction.Length; i++) _direction[i] = Gaussian(rng);
    }

    public string Name => StageNames.Numeric;

    public NumericProbeSettings Settings { get; }

    /// <summary>The scalar probe: the grid, then the seeded N(0, 1) samples.</summary>
    public IReadOnlyList<double> Points => _points;

    public string? Check(ChainCandidate candidate, CancellationToken cancellation) =>
        candidate.HasAggregates ? CheckLayer(candidate.Compiled) : CheckScalar(candidate.Compiled);

    private string? CheckScalar(CompiledExpr f)
    {
        var s = Settings;
        double[] y = f.Evaluate(_points);
        if (NonFinite(y, _points, "probe inputs", isTensor: false) is { } reason) return reason;

        double std = Std(y);
        if (std < s.NearConstantStd || std == 0) return ConstantReason(std, "the probe");

        if (s.RejectAffine && AffineFit(_points, y) is var (slope, intercept))
            return $"is affine on the probe (f(x) = {Num(slope)} * x + {Num(intercept)}): a network of it collapses into one linear map";

        foreach (double magnitude in s.ScaledInputs.Order())
        {
            foreach (double x in new[] { -magnitude, magnitude })
            {
                double v = f.Evaluate(x);
                if (!double.IsFinite(v)) return $"explodes: f(x) is {Text(v)} at x = {Num(x)}";
                if (Math.Abs(v) > Bound(Math.Abs(x)))
                    return $"explodes: |f(x)| reaches {Num(Math.Abs(v))} at x = {Num(x)} (limit {GrowthLimit()})";
            }
        }

        var dy = new double[_points.Length];
        f.EvaluateWithDerivative(_points, new double[_points.Length], dy);
        double maxSlope = 0;
        foreach (double d in dy)
        {
            if (!double.IsFinite(d)) return null; // a non-finite slope is not a vanishing one (the stability probe judges it)
            maxSlope = Math.Max(maxSlope, Math.Abs(d));
        }
        return maxSlope < s.MinDerivative ? $"derivative is ~0 on the whole probe (max |f'(x)| = {Num(maxSlope)})" : null;
    }

    private string? CheckLayer(CompiledExpr f)
    {
        var s = Settings;
        var shape = Fingerprint.LayerProbeShape;
        double[] x = [.. Fingerprint.LayerProbe];
        var y = new double[x.Length];
        f.Evaluate(x, y, shape);
        if (NonFinite(y, x, "the probe tensor's elements", isTensor: true) is { } reason) return reason;

        double std = Std(y);
        if (std < s.NearConstantStd || std == 0) return ConstantReason(std, "the probe tensor");

        var scaled = new double[x.Length];
        var ys = new double[x.Length];
        foreach (double factor in s.ScaledInputs.Order())
        {
            double maxX = 0;
            for (int i = 0; i < x.Length; i++)
            {
                scaled[i] = x[i] * factor;
                maxX = Math.Max(maxX, Math.Abs(scaled[i]));
            }
            f.Evaluate(scaled, ys, shape);
            double maxY = 0;
            foreach (double v in ys)
            {
                if (!double.IsFinite(v)) return $"explodes: the output has {Text(v)} when the probe tensor is scaled by {Num(factor)}";
                maxY = Math.Max(maxY, Math.Abs(v));
            }
            if (maxY > Bound(maxX))
                return $"explodes: |y| reaches {Num(maxY)} when the probe tensor is scaled by {Num(factor)} (max |x| = {Num(maxX)}; limit {GrowthLimit()})";
        }

        // Central difference along a seeded direction, per unit of input: ~0 means the output ignores its input.
        const double h = 1e-3;
        var plus = new double[x.Length];
        var minus = new double[x.Length];
        for (int i = 0; i < x.Length; i++) scaled[i] = x[i] + h * _direction[i];
        f.Evaluate(scaled, plus, shape);
        for (int i = 0; i < x.Length; i++) scaled[i] = x[i] - h * _direction[i];
        f.Evaluate(scaled, minus, shape);
        double maxSlope = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = (plus[i] - minus[i]) / (2 * h);
            if (!double.IsFinite(d)) return null;
            maxSlope = Math.Max(maxSlope, Math.Abs(d));
        }
        return maxSlope < s.MinDerivative ? $"derivative is ~0 on the whole probe (max directional |dy/dx| = {Num(maxSlope)})" : null;
    }

    /// <summary>The least-squares line through (x, y) when its residual RMS is below 1e-6 of the outputs' std; else null.</summary>
    private static (double Slope, double Intercept)? AffineFit(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        double slope = sxy / sxx, intercept = my - slope * mx, residual = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double r = y[i] - (intercept + slope * x[i]);
            residual += r * r;
        }
        return residual <= 1e-12 * syy ? (Math.Round(slope, 6), Math.Round(intercept, 6)) : null;
    }

    private string? NonFinite(double[] y, double[] x, string what, bool isTensor)
    {
        int nan = 0, posInf = 0, negInf = 0;
        foreach (double v in y)
        {
            if (double.IsNaN(v)) nan++;
            else if (double.IsPositiveInfinity(v)) posInf++;
            else if (double.IsNegativeInfinity(v)) negInf++;
        }
        double tolerated = Settings.MaxNonFiniteFraction * y.Length;
        if (nan > tolerated)
            return $"produces NaN at {Percent(nan, y.Length)} of {what}" + (isTensor ? "" : $" (e.g. x = {Num(Example(y, x, double.IsNaN))})");
        if (posInf + negInf > tolerated)
        {
            string inf = posInf > 0 && negInf > 0 ? "±Inf" : posInf > 0 ? "+Inf" : "-Inf";
            return $"explodes: overflows to {inf} at {Percent(posInf + negInf, y.Length)} of {what}"
                   + (isTensor ? "" : $" (e.g. x = {Num(Example(y, x, double.IsInfinity))})");
        }
        return null;
    }

    // The offending input nearest to 0, preferring the grid's round numbers.
    private static double Example(double[] y, double[] x, Func<double, bool> bad)
    {
        int limit = x.Length >= GridPoints ? GridPoints : x.Length;
        foreach (var (from, to) in new[] { (0, limit), (0, x.Length) })
        {
            int best = -1;
            for (int i = from; i < to; i++)
                if (bad(y[i]) && (best < 0 || Math.Abs(x[i]) < Math.Abs(x[best]))) best = i;
            if (best >= 0) return x[best];
        }
        return double.NaN;
    }

    private string ConstantReason(double std, string over) => std == 0
        ? $"output is constant (std 0 over {over})"
        : $"output is near-constant (std {Num(std)} over {over}; limit {Num(Settings.NearConstantStd)})";

    private double Bound(double absX) => Settings.ExplosionScale * Math.Pow(Math.Max(1, absX), Settings.GrowthDegree);

    private string GrowthLimit() => Settings.GrowthDegree == 0 ? Num(Settings.ExplosionScale)
        : Settings.GrowthDegree == 1 ? $"{Num(Settings.ExplosionScale)} * |x|"
        : $"{Num(Settings.ExplosionScale)} * |x|^{Num(Settings.GrowthDegree)}";

    /// <summary>Population standard deviation of the finite values.</summary>
    private static double Std(double[] y)
    {
        double sum = 0;
        int n = 0;
        foreach (double v in y)
            if (double.IsFinite(v))
            {
                sum += v;
                n++;
            }
        if (n == 0) return 0;
        double mean = sum / n, ss = 0;
        foreach (double v in y)
            if (double.IsFinite(v)) ss += (v - mean) * (v - mean);
        return Math.Sqrt(ss / n);
    }

    private static double Gaussian(SeededRandom rng)
    {
        double u1 = ((rng.NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));
        double u2 = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static string Text(double v) => double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : "-Inf";

    private static string Percent(int count, int total)
    {
        double p = 100.0 * count / total;
        return (p < 0.1 ? "<0.1" : p.ToString(p < 10 ? "0.#" : "0", CultureInfo.InvariantCulture)) + "%";
    }

    /// <summary>A short, invariant rendering: 0.3, -1.2, 20, 2.2e+04, 1e-06.</summary>
    public static string Num(double v)
    {
        if (v == 0) return "0";
        double a = Math.Abs(v);
        return a is >= 1e4 or < 1e-3
            ? v.ToString("0.##e+00", CultureInfo.InvariantCulture)
            : v.ToString("0.###", CultureInfo.InvariantCulture);
    }
}
