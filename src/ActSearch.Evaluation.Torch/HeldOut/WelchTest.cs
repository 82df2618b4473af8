namespace ActSearch.Evaluation.Torch.HeldOut;

/// <summary>The outcome of Welch's t-test: t, the Welch-Satterthwaite degrees of freedom and the two-sided p-value.</summary>
/// <remarks>NaN throughout when the test is undefined (fewer than two runs on a side, non-finite values, zero spread on both sides).</remarks>
public readonly record struct WelchResult(double T, double DegreesOfFreedom, double PValue)
{
    public bool Defined => double.IsFinite(PValue);
}

/// <summary>
/// Welch's unequal-variances t-test from summary statistics, and the Student-t distribution it needs, computed with the
/// regularized incomplete beta function. Plain doubles, no dependencies: the held-out report's significance test.
/// </summary>
public static class WelchTest
{
    /// <summary>Compares the means of two samples given as mean, sample standard deviation and size.</summary>
    public static WelchResult Compare(double mean1, double std1, int n1, double mean2, double std2, int n2)
    {
        var undefined = new WelchResult(double.NaN, double.NaN, double.NaN);
        if (n1 < 2 || n2 < 2 || !double.IsFinite(mean1) || !double.IsFinite(mean2) || !double.IsFinite(std1) || !double.IsFinite(std2))
            return undefined;
        double v1 = std1 * std1 / n1, v2 = std2 * std2 / n2, se2 = v1 + v2;
        if (se2 <= 0) return undefined;
        double t = (mean1 - mean2) / Math.Sqrt(se2);
        double df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
        return new WelchResult(t, df, TwoSidedP(t, df));
    }

    /// <summary>Compares two samples of raw values.</summary>
    public static WelchResult Compare(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var (ma, sa) = MeanStd(a);
        var (mb, sb) = MeanStd(b);
        return Compare(ma, sa, a.Count, mb, sb, b.Count);
    }

    /// <summary>P(|T| >= |t|) for Student's t with <paramref name="df"/> degrees of freedom.</summary>
    public static double TwoSidedP(double t, double df)
    {
        if (double.IsNaN(t) || !(df > 0)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        return RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t));
    }

    /// <summary>
    /// The t with P(|T| &gt;= t) = <paramref name="twoSidedP"/> (2.776 for 0.05 at 4 degrees of freedom), by bisection on
    /// <see cref="TwoSidedP"/>; NaN when <paramref name="df"/> is not positive.
    /// </summary>
    public static double CriticalT(double twoSidedP, double df)
    {
        if (!(df > 0) || !(twoSidedP is > 0 and < 1)) return double.NaN;
        double lo = 0, hi = 1;
        while (TwoSidedP(hi, df) > twoSidedP) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++)
        {
            double mid = (lo + hi) / 2;
            if (TwoSidedP(mid, df) > twoSidedP) lo = mid;
            else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>Half the width of the 95% confidence interval of a mean of <paramref name="n"/> runs: t(0.975, n - 1) std / sqrt(n).</summary>
    public static double HalfWidth95(double std, int n) => n < 2 || double.IsNaN(std) ? double.NaN : CriticalT(0.05, n - 1) * std / Math.Sqrt(n);

    /// <summary>P(T &lt;= t) for Student's t with <paramref name="df"/> degrees of freedom (df &gt; 0, not necessarily whole).</summary>
    public static double StudentTCdf(double t, double df)
    {
        double tail = TwoSidedP(t, df) / 2;
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>
    /// I_x(a, b), the regularized incomplete beta function, by its continued fraction (modified Lentz), using
    /// I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
    /// </summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (!(a > 0) || !(b > 0) || double.IsNaN(x)) return double.NaN;
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double logFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        if (x < (a + 1) / (a + b + 2)) return Math.Exp(logFront) * BetaFraction(a, b, x) / a;
        return 1 - Math.Exp(logFront) * BetaFraction(b, a, 1 - x) / b;
    }

    private static double BetaFraction(double a, double b, double x)
    {
        const double tiny = 1e-300, epsilon = 1e-15;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 10_000; m++)
        {
            // The even step d_{2m}, then the odd step d_{2m+1} of the fraction's coefficients.
            double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + even * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + even / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + odd * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + odd / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < epsilon) break;
        }
        return h;
    }

    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7; about 15 significant digits).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    private static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return (double.NaN, double.NaN);
        double mean = values.Average();
        if (values.Count == 1) return (mean, 0);
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)));
    }
}
