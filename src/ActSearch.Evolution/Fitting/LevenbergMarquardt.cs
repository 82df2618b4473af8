using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>A formula with fitted numbers and its mean squared error (+Infinity when it gives NaN or Inf anywhere).</summary>
public readonly record struct FitResult(Expr Formula, double Mse, int Evaluations);

/// <summary>
/// Curve fitting of the numbers in a formula: every constant (each place on its own, as PySR does) and
/// every parameter's initial value, by Levenberg–Marquardt with a forward-difference Jacobian. The formula
/// is compiled once with its numbers as parameters, so each step is a vector evaluation, not a recompile.
/// An instance holds the data and scratch space: reuse one per thread, never share one between threads.
/// </summary>
public sealed class CurveFitter
{
    private const string ConstantPrefix = "\u0001c"; // cannot clash with a parameter the parser or operators name

    private readonly double[] _xs, _ys, _y, _yTrial;
    private readonly EvalWorkspace _workspace = new();

    public CurveFitter(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys)
    {
        if (xs.Length != ys.Length) throw new ArgumentException("xs and ys differ in length.", nameof(ys));
        if (xs.Length == 0) throw new ArgumentException("No data to fit.", nameof(xs));
        _xs = xs.ToArray();
        _ys = ys.ToArray();
        _y = new double[xs.Length];
        _yTrial = new double[xs.Length];
    }

    public int Count => _xs.Length;

    /// <summary>Mean squared error of a formula as it stands.</summary>
    public double Mse(Expr formula) => Mse(CompiledExpr.Compile(formula), default, _y);

    /// <summary>
    /// Fits the numbers of <paramref name="formula"/> with at most <paramref name="iterations"/> Jacobian
    /// steps and returns the fitted formula (equal subgraphs shared) and its error. A formula that is not
    /// finite at the start is returned unchanged with +Infinity.
    /// </summary>
    public FitResult Fit(Expr formula, int iterations)
    {
        int constantCount = 0;
        var template = Unshare(formula, ref constantCount);
        var compiled = CompiledExpr.Compile(template);
        var parameters = compiled.Parameters;
        int k = parameters.Count;
        var p = new double[k];
        for (int j = 0; j < k; j++) p[j] = parameters[j].Initial;
        double loss = Mse(compiled, p, _y);
        int evaluations = 1;
        if (k == 0 || !double.IsFinite(loss) || iterations <= 0)
            return new FitResult(k == 0 ? formula : Rebuild(template, parameters, p), loss, evaluations);

        int n = _xs.Length;
        var jac = new double[k * n]; // column j holds d r / d p_j
        var residual = new double[n];
        var a = new double[k * k];
        var g = new double[k];
        var step = new double[k];
        var trial = new double[k];
        var chol = new double[k * k];
        double lambda = 1e-3;
        for (int it = 0; it < iterations && loss > 0; it++)
        {
            // Residuals at p (in _y from the last accepted evaluation) and the forward-difference Jacobian.
            for (int i = 0; i < n; i++) residual[i] = _y[i] - _ys[i];
            bool finite = true;
            for (int j = 0; j < k && finite; j++)
            {
                double h = 1.4901161193847656e-8 * Math.Max(Math.Abs(p[j]), 1.0);
                double saved = p[j];
                p[j] = saved + h;
                h = p[j] - saved; // the step actually taken, after rounding
                compiled.Evaluate(_xs, _yTrial, p, _workspace);
                evaluations++;
                p[j] = saved;
                var col = jac.AsSpan(j * n, n);
                for (int i = 0; i < n; i++)
                {
                    double d = (_yTrial[i] - _y[i]) / h;
                    if (!double.IsFinite(d)) finite = false;
                    col[i] = d;
                }
            }
            if (!finite) break;
            for (int r = 0; r < k; r++)
            {
                var cr = jac.AsSpan(r * n, n);
                double gr = 0;
                for (int i = 0; i < n; i++) gr += cr[i] * residual[i];
                g[r] = gr;
                for (int c = 0; c <= r; c++)
                {
                    var cc = jac.AsSpan(c * n, n);
                    double s = 0;
                    for (int i = 0; i < n; i++) s += cr[i] * cc[i];
                    a[r * k + c] = s;
                    a[c * k + r] = s;
                }
            }

            bool accepted = false;
            for (int tries = 0; tries < 10 && !accepted; tries++)
            {
                for (int r = 0; r < k; r++)
                    for (int c = 0; c < k; c++)
                        chol[r * k + c] = a[r * k + c] + (r == c ? lambda * a[r * k + r] + 1e-12 : 0);
                if (!Solve(chol, g, step, k))
                {
                    lambda *= 10;
                    continue;
                }
                for (int j = 0; j < k; j++) trial[j] = p[j] - step[j];
                double trialLoss = Mse(compiled, trial, _yTrial);
                evaluations++;
                if (trialLoss < loss)
                {
                    bool converged = loss - trialLoss <= 1e-12 * loss;
                    Array.Copy(trial, p, k);
                    Array.Copy(_yTrial, _y, n);
                    loss = trialLoss;
                    lambda = Math.Max(lambda * 0.3, 1e-12);
                    accepted = true;
                    if (converged) it = iterations;
                }
                else lambda *= 10;
            }
            if (!accepted) break; // no step along any damping improves: a (local) minimum
        }
        return new FitResult(Rebuild(template, parameters, p), loss, evaluations);
    }

    private double Mse(CompiledExpr compiled, ReadOnlySpan<double> p, double[] y)
    {
        compiled.Evaluate(_xs, y, p, _workspace);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double d = y[i] - _ys[i];
            sum += d * d;
        }
        double mse = sum / y.Length;
        return double.IsFinite(mse) ? mse : double.PositiveInfinity;
    }

    // Every constant place becomes its own parameter; subgraphs without constants stay shared.
    private static Expr Unshare(Expr e, ref int next)
    {
        switch (e)
        {
            case Constant c:
                return new Parameter(ConstantPrefix + next++, c.Value);
            case Variable or Parameter:
                return e;
        }
        if (!HasConstant(e)) return e;
        var children = e.Children;
        var rebuilt = new Expr[children.Length];
        for (int i = 0; i < children.Length; i++) rebuilt[i] = Unshare(children[i], ref next);
        return e.WithChildren([.. rebuilt]);
    }

    private static bool HasConstant(Expr e) => e.Nodes().Any(n => n is Constant);

    private static Expr Rebuild(Expr template, IReadOnlyList<Parameter> parameters, double[] p)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int j = 0; j < parameters.Count; j++) values[parameters[j].Name] = p[j];
        var cache = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        // Learned units' coefficients are fitted too (they are among the compiled parameters): they go back into the units.
        return template.WithUnitCoefficients(values).Rewrite(n => n is Parameter q
            ? q.Name.StartsWith(ConstantPrefix, StringComparison.Ordinal)
                ? new Constant(values[q.Name])
                : cache.TryGetValue(q.Name, out var done) ? done : cache[q.Name] = q.WithInitial(values[q.Name])
            : n).Share();
    }

    // Cholesky solve of the (symmetric, damped) normal equations; false when not positive definite.
    private static bool Solve(double[] m, double[] b, double[] x, int k)
    {
        for (int j = 0; j < k; j++)
        {
            double d = m[j * k + j];
            for (int s = 0; s < j; s++) d -= m[j * k + s] * m[j * k + s];
            if (!(d > 0) || !double.IsFinite(d)) return false;
            d = Math.Sqrt(d);
            m[j * k + j] = d;
            for (int i = j + 1; i < k; i++)
            {
                double v = m[i * k + j];
                for (int s = 0; s < j; s++) v -= m[i * k + s] * m[j * k + s];
                m[i * k + j] = v / d;
            }
        }
        for (int i = 0; i < k; i++)
        {
            double v = b[i];
            for (int s = 0; s < i; s++) v -= m[i * k + s] * x[s];
            x[i] = v / m[i * k + i];
        }
        for (int i = k - 1; i >= 0; i--)
        {
            double v = x[i];
            for (int s = i + 1; s < k; s++) v -= m[s * k + i] * x[s];
            x[i] = v / m[i * k + i];
        }
        return true;
    }
}
