namespace ActSearch.Expressions;

/// <summary>Scalar kernels the base library lacks, written to be exact to double precision.</summary>
public static class Kernels
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;

    /// <summary>1 / (1 + e^-x), without overflow for large |x|.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>log(1 + e^x), without overflow: max(x, 0) + log1p(e^-|x|).</summary>
    public static double Softplus(double x) =>
        double.IsNaN(x) ? x : Math.Max(x, 0) + LogOnePlus(Math.Exp(-Math.Abs(x)));

    /// <summary>log(1 + y) accurate for small y.</summary>
    public static double LogOnePlus(double y)
    {
        double u = 1 + y;
        return u == 1 ? y : Math.Log(u) * y / (u - 1);
    }

    /// <summary>
    /// The error function to ~1e-15: Maclaurin series for |x| &lt;= 2.5, the Laplace continued
    /// fraction of erfc beyond (both converge quickly in their ranges).
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax <= 2.5)
        {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 100; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * sum;
        }
        if (ax > 6) return Math.Sign(x);
        // erfc(z) = e^{-z^2}/sqrt(pi) * 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated backwards.
        double f = ax;
        for (int k = 80; k >= 1; k--) f = ax + k * 0.5 / f;
        double erfc = Math.Exp(-ax * ax) * OneOverSqrtPi / f;
        return Math.Sign(x) * (1 - erfc);
    }

    /// <summary>sign(x) as a double: -1, 0 or 1, and NaN for NaN (Math.Sign throws on NaN).</summary>
    public static double Sign(double x) => x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : double.NaN;

    /// <summary>EvoNorms' signed log: sign(x) * ln|x| (NaN at 0, where it is undefined).</summary>
    public static double SignedLog(double x) => x == 0 ? double.NaN : Sign(x) * Math.Log(Math.Abs(x));

    /// <summary>EvoNorms' signed square root: sign(x) * sqrt|x|.</summary>
    public static double SignedSqrt(double x) => Sign(x) * Math.Sqrt(Math.Abs(x));

    /// <summary>exp(-x^2) through the same vector exp as exp(-square(x)), so both spellings give the same bits.</summary>
    public static void GaussVector(ReadOnlySpan<double> x, Span<double> y)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, x, y);
        System.Numerics.Tensors.TensorPrimitives.Negate(y, y);
        System.Numerics.Tensors.TensorPrimitives.Exp(y, y);
    }

    /// <summary>DEAP's protected division: a / b, or 1 where b is 0.</summary>
    public static double ProtectedDivide(double a, double b) => b == 0 ? 1 : a / b;
}
