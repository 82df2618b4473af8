namespace ActSearch.Expressions;

/// <summary>
/// CPU semantics of the aggregates on a row-major NCHW tensor: the statistic over the primitive's axes,
/// broadcast back to every element it was computed from. Group statistics need C divisible by the group
/// count; otherwise the result is NaN (as GroupNorm would refuse it).
/// </summary>
internal static class AggregateKernels
{
    public static void Apply(Primitive op, ReadOnlySpan<double> x, Span<double> y, TensorShape s, int groups)
    {
        int n = s.N, c = s.C, hw = s.H * s.W;
        if (op.Axes == AggregateAxes.Group && (groups < 1 || c % groups != 0))
        {
            y.Fill(double.NaN);
            return;
        }
        int keys = op.Axes switch
        {
            AggregateAxes.Batch => c,
            AggregateAxes.Layer => n,
            AggregateAxes.Instance => n * c,
            AggregateAxes.Group => n * groups,
            _ => throw new InvalidOperationException($"'{op.Name}' is not an aggregate."),
        };
        int perGroup = op.Axes == AggregateAxes.Group ? c / groups : 1;
        var sum = new double[keys];
        var count = new int[keys];
        var key = new int[s.Length];
        for (int i = 0, ni = 0; ni < n; ni++)
            for (int ci = 0; ci < c; ci++)
            {
                int k = op.Axes switch
                {
                    AggregateAxes.Batch => ci,
                    AggregateAxes.Layer => ni,
                    AggregateAxes.Instance => ni * c + ci,
                    _ => ni * groups + ci / perGroup,
                };
                for (int j = 0; j < hw; j++, i++)
                {
                    key[i] = k;
                    sum[k] += op.Statistic == Statistic.SecondMoment ? x[i] * x[i] : x[i];
                    count[k]++;
                }
            }
        var stat = new double[keys];
        for (int k = 0; k < keys; k++) stat[k] = sum[k] / count[k];
        if (op.Statistic is Statistic.Variance or Statistic.Std)
        {
            // Two-pass variance: exact for inputs with a large mean, unlike E[x^2] - E[x]^2.
            var sq = new double[keys];
            for (int i = 0; i < x.Length; i++)
            {
                double dev = x[i] - stat[key[i]];
                sq[key[i]] += dev * dev;
            }
            for (int k = 0; k < keys; k++)
            {
                double variance = sq[k] / count[k];
                stat[k] = op.Statistic == Statistic.Std ? Math.Sqrt(variance) : variance;
            }
        }
        for (int i = 0; i < x.Length; i++) y[i] = stat[key[i]];
    }
}
