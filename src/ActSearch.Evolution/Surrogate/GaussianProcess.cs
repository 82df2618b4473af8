namespace ActSearch.Evolution;

/// <summary>
/// Gaussian-process regression with a Matérn 5/2 kernel (Rasmussen and Williams 2006, algorithm 2.1): exact inference
/// by Cholesky factorization, targets standardized, distances the root-mean-square difference of two feature vectors.
/// The kernel's length scale and the noise level are chosen by the log marginal likelihood over a fixed grid (length
/// scales relative to the median distance between training points), so a fit is deterministic and needs no optimizer.
/// A fit costs O(n^3) per grid point; a prediction O(n d + n^2). Immutable once fitted; thread-safe to read.
/// </summary>
public sealed class GaussianProcess
{
    /// <summary>Length scales tried, as multiples of the median distance between training points.</summary>
    public static readonly double[] LengthScaleGrid = [0.125, 0.25, 0.5, 1, 2, 4];

    /// <summary>Noise variances tried, relative to the standardized targets' variance of 1.</summary>
    public static readonly double[] NoiseGrid = [1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5];

    private readonly double[][] _x;
    private readonly double[] _alpha;
    private readonly double[] _chol; // lower triangle, row-major n x n
    private readonly double _mean, _scale;

    private GaussianProcess(double[][] x, double[] alpha, double[] chol, double mean, double scale, double lengthScale, double noise, double logLikelihood)
    {
        _x = x;
        _alpha = alpha;
        _chol = chol;
        _mean = mean;
        _scale = scale;
        LengthScale = lengthScale;
        Noise = noise;
        LogMarginalLikelihood = logLikelihood;
    }

    /// <summary>The kernel's length scale (in feature units).</summary>
    public double LengthScale { get; }

    /// <summary>The noise variance, relative to the targets' variance.</summary>
    public double Noise { get; }

    /// <summary>Log marginal likelihood of the standardized targets under the chosen hyperparameters.</summary>
    public double LogMarginalLikelihood { get; }

    public int Count => _x.Length;

    /// <summary>
    /// Fits <paramref name="y"/> on <paramref name="x"/> (rows of equal length, finite values). <paramref name="hyperparameters"/>:
    /// a length scale and noise to reuse (a refit after a few more points), else the grid's best.
    /// </summary>
    public static GaussianProcess Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, (double LengthScale, double Noise)? hyperparameters = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int n = x.Count;
        if (n == 0 || n != y.Count) throw new ArgumentException($"A fit needs one target per row and at least one row ({n} rows, {y.Count} targets).");
        int d = x[0].Length;
        foreach (var row in x)
            if (row.Length != d) throw new ArgumentException("Every feature row must have the same length.", nameof(x));
        double mean = y.Average();
        double sd = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / n);
        double scale = sd > 1e-12 ? sd : 1;
        var t = new double[n];
        for (int i = 0; i < n; i++) t[i] = (y[i] - mean) / scale;
        var rows = x.Select(r => (double[])r.Clone()).ToArray();
        var dist = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) dist[i * n + j] = dist[j * n + i] = Distance(rows[i], rows[j]);

        var candidates = hyperparameters is { } h
            ? [h]
            : (from l in LengthScaleGrid from s in NoiseGrid select (l * MedianDistance(dist, n), s)).ToArray();
        GaussianProcess? best = null;
        foreach (var (l, s) in candidates)
        {
            if (!(l > 0)) continue;
            var chol = new double[n * n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < i; j++) chol[i * n + j] = Kernel(dist[i * n + j], l);
                chol[i * n + i] = 1 + s;
            }
            if (!Cholesky(chol, n)) continue;
            var alpha = (double[])t.Clone();
            SolveLower(chol, n, alpha);
            double fit = 0;
            for (int i = 0; i < n; i++) fit += alpha[i] * alpha[i];
            SolveUpper(chol, n, alpha);
            double logDet = 0;
            for (int i = 0; i < n; i++) logDet += Math.Log(chol[i * n + i]);
            double ll = -0.5 * fit - logDet - 0.5 * n * Math.Log(2 * Math.PI);
            if (best is null || ll > best.LogMarginalLikelihood) best = new GaussianProcess(rows, alpha, chol, mean, scale, l, s, ll);
        }
        return best ?? throw new ArgumentException("No length scale and noise level gave a positive-definite kernel matrix (are the features finite?).");
    }

    /// <summary>The posterior mean and standard deviation of the latent function at <paramref name="x"/> (in the targets' units).</summary>
    public (double Mean, double StdDev) Predict(double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = _x.Length;
        var k = new double[n];
        double mu = 0;
        for (int i = 0; i < n; i++)
        {
            k[i] = Kernel(Distance(x, _x[i]), LengthScale);
            mu += k[i] * _alpha[i];
        }
        SolveLower(_chol, n, k);
        double var = 1;
        for (int i = 0; i < n; i++) var -= k[i] * k[i];
        return (_mean + _scale * mu, _scale * Math.Sqrt(Math.Max(var, 1e-12)));
    }

    /// <summary>Root-mean-square difference: distances stay comparable whatever the number of features.</summary>
    public static double Distance(double[] a, double[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Feature vectors of length {a.Length} and {b.Length}.");
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            s += d * d;
        }
        return a.Length == 0 ? 0 : Math.Sqrt(s / a.Length);
    }

    /// <summary>Matérn 5/2 with unit variance.</summary>
    private static double Kernel(double r, double lengthScale)
    {
        double z = Math.Sqrt(5) * r / lengthScale;
        return (1 + z + z * z / 3) * Math.Exp(-z);
    }

    /// <summary>The median of the distinct pairwise distances above zero (1 when there are none).</summary>
    private static double MedianDistance(double[] dist, int n)
    {
        var values = new List<double>(n * (n - 1) / 2);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                if (dist[i * n + j] > 0) values.Add(dist[i * n + j]);
        if (values.Count == 0) return 1;
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>In place: the lower triangle of <paramref name="a"/> becomes L with L L^T = A. False when A is not positive definite.</summary>
    private static bool Cholesky(double[] a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
            if (!(s > 0)) return false;
            double l = Math.Sqrt(s);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++)
            {
                double v = a[i * n + j];
                for (int k = 0; k < j; k++) v -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = v / l;
            }
        }
        return true;
    }

    private static void SolveLower(double[] l, int n, double[] b)
    {
        for (int i = 0; i < n; i++)
        {
            double v = b[i];
            for (int k = 0; k < i; k++) v -= l[i * n + k] * b[k];
            b[i] = v / l[i * n + i];
        }
    }

    private static void SolveUpper(double[] l, int n, double[] b)
    {
        for (int i = n - 1; i >= 0; i--)
        {
            double v = b[i];
            for (int k = i + 1; k < n; k++) v -= l[k * n + i] * b[k];
            b[i] = v / l[i * n + i];
        }
    }
}
