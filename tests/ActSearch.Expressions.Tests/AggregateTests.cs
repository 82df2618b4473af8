using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

public class AggregateTests
{
    private static readonly ParseOptions Layer = new() { DefaultParameterShape = ParameterShape.PerChannel };

    private static double[] Eval(string formula, double[] x, TensorShape shape)
    {
        var y = new double[x.Length];
        CompiledExpr.Compile(ExprParser.Parse(formula, Layer)).Evaluate(x, y, shape);
        return y;
    }

    // x[n, c, h, w] = 100 n + 10 c + (h * W + w): statistics are easy to compute by hand.
    private static (double[] X, TensorShape Shape) Ramp(int n, int c, int h, int w)
    {
        var shape = new TensorShape(n, c, h, w);
        var x = new double[shape.Length];
        int i = 0;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < c; b++)
                for (int k = 0; k < h * w; k++)
                    x[i++] = 100 * a + 10 * b + k;
        return (x, shape);
    }

    [Fact]
    public void Batch_mean_is_per_channel_over_samples_and_positions()
    {
        var (x, s) = Ramp(2, 3, 2, 2);
        var y = Eval("batch_mean(x)", x, s);
        // channel 1: mean over n of 100n + 10 + k, k = 0..3 -> 50 + 10 + 1.5
        Assert.Equal(61.5, y[1 * 4 + 2]);
        Assert.Equal(61.5, y[(3 + 1) * 4 + 3]);
    }

    [Fact]
    public void Layer_instance_and_group_statistics_reduce_over_their_axes()
    {
        var (x, s) = Ramp(2, 4, 1, 3);
        Assert.Equal(100 + 15 + 1, Eval("layer_mean(x)", x, s)[4 * 3]); // sample 1: 100 + mean(10c) + mean(k)
        Assert.Equal(100 + 20 + 1, Eval("instance_mean(x)", x, s)[(4 + 2) * 3]); // sample 1, channel 2
        Assert.Equal(100 + 25 + 1, Eval("group_mean(x, 2)", x, s)[(4 + 3) * 3]); // sample 1, channels 2-3
        Assert.Equal(2.0 / 3, Eval("instance_var(x)", x, s)[0], 12); // var of 0, 1, 2
        Assert.Equal(Math.Sqrt(2.0 / 3), Eval("instance_std(x)", x, s)[0], 12);
        Assert.Equal((0 + 1 + 4) / 3.0, Eval("instance_m2(x)", x, s)[0], 12);
    }

    [Fact]
    public void NC_inputs_are_NCHW_with_one_position()
    {
        var x = new double[] { 1, 2, 3, 4, 5, 6 }; // N = 2, C = 3
        var shape = new TensorShape(2, 3);
        Assert.Equal([2.5, 3.5, 4.5, 2.5, 3.5, 4.5], Eval("batch_mean(x)", x, shape));
        Assert.Equal([2, 2, 2, 5, 5, 5], Eval("layer_mean(x)", x, shape));
        Assert.Equal(x, Eval("instance_mean(x)", x, shape));
    }

    [Fact]
    public void Group_statistics_need_channels_divisible_by_groups()
    {
        var (x, s) = Ramp(1, 6, 1, 1);
        Assert.All(Eval("group_mean(x, 4)", x, s), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void EvoNorm_S0_normalizes_each_group()
    {
        var (x, s) = Ramp(2, 64, 2, 2);
        var y = Eval("x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)", x, s);
        Assert.All(y, v => Assert.True(double.IsFinite(v)));
        // Two channels per group, values 10c + k: variance of {0,1,2,3, 10,11,12,13} = 26.25
        double x0 = x[0];
        Assert.Equal(x0 / (1 + Math.Exp(-x0)) / Math.Sqrt(26.25 + 1e-5), y[0], 12);
    }

    [Fact]
    public void Scalar_evaluation_of_a_layer_asks_for_a_shape()
    {
        var c = CompiledExpr.Compile(ExprParser.Parse("x / batch_std(x)"));
        Assert.Throws<InvalidOperationException>(() => c.Evaluate([1.0, 2.0]));
    }
}
