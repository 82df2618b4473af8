namespace ActSearch.Evolution;

/// <summary>One check of prediction quality: fitted on <paramref name="Fitted"/> functions, tested on <paramref name="Tested"/> others.</summary>
public sealed record PredictionCheck(string Split, int Fitted, int Tested, double Spearman, double MeanAbsoluteError);

/// <summary>
/// How well a Gaussian process (the surrogate's model, <see cref="SurrogateModel"/>) on given features predicts measured values
/// of functions it was not fitted on: Spearman's rank correlation (ties get average ranks) and the mean absolute error.
/// Two protocols over functions listed in the order they were first measured: the growing catalog (fit on the first n,
/// test on every later one) and k-fold cross-validation (fold i holds every k-th function).
/// </summary>
public static class SurrogateValidation
{
    /// <summary>Fit on the first n (each of <paramref name="sizes"/> below the count), predict the rest.</summary>
    public static IReadOnlyList<PredictionCheck> GrowingCatalog(IReadOnlyList<(double[] Features, double Value)> measured, IEnumerable<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(measured);
        var features = measured.Select(m => m.Features).ToArray();
        var checks = new List<PredictionCheck>();
        foreach (int n in sizes)
        {
            if (n < 2 || n >= measured.Count) continue;
            var test = Enumerable.Range(n, measured.Count - n).ToArray();
            checks.Add(Check($"first {n}", features, measured, [.. Enumerable.Range(0, n)], test));
        }
        return checks;
    }

    /// <summary>k-fold cross-validation: every function predicted once, by a fit on the other folds; the pooled predictions' correlation.</summary>
    public static PredictionCheck CrossValidated(IReadOnlyList<(double[] Features, double Value)> measured, int folds)
    {
        ArgumentNullException.ThrowIfNull(measured);
        if (folds < 2 || measured.Count < folds) throw new ArgumentException($"{folds}-fold cross-validation needs at least {Math.Max(folds, 2)} functions; there are {measured.Count}.");
        var features = measured.Select(m => m.Features).ToArray();
        var predicted = new double[measured.Count];
        for (int f = 0; f < folds; f++)
        {
            var train = Enumerable.Range(0, measured.Count).Where(i => i % folds != f).ToArray();
            var gp = GaussianProcess.Fit([.. train.Select(i => features[i])], [.. train.Select(i => measured[i].Value)]);
            for (int i = f; i < measured.Count; i += folds) predicted[i] = gp.Predict(features[i]).Mean;
        }
        var actual = measured.Select(m => m.Value).ToArray();
        return new PredictionCheck($"{folds}-fold", measured.Count - measured.Count / folds, measured.Count, Spearman(predicted, actual), Mae(predicted, actual));
    }

    private static PredictionCheck Check(string split, double[][] features, IReadOnlyList<(double[] Features, double Value)> measured, int[] train, int[] test)
    {
        var gp = GaussianProcess.Fit([.. train.Select(i => features[i])], [.. train.Select(i => measured[i].Value)]);
        var predicted = test.Select(i => gp.Predict(features[i]).Mean).ToArray();
        var actual = test.Select(i => measured[i].Value).ToArray();
        return new PredictionCheck(split, train.Length, test.Length, Spearman(predicted, actual), Mae(predicted, actual));
    }

    private static double Mae(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();

    /// <summary>Spearman's rho: Pearson's correlation of the ranks (ties: average ranks); NaN when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"Spearman's rho needs pairs ({a.Count} and {b.Count} values).");
        return Pearson(Ranks(a), Ranks(b));
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var order = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = rank;
            i = j + 1;
        }
        return ranks;
    }

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
