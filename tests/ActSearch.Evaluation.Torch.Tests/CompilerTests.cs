using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

public class CompilerTests
{
    static CompilerTests() => TestTorch.Init();

    private static readonly ParseOptions Layer = new() { DefaultParameterShape = ParameterShape.PerChannel };

    public const string EvoNormB0 = "x / max(sqrt(batch_var(x) + 1e-5), v1 * x + sqrt(instance_var(x) + 1e-5))";
    public const string EvoNormS0 = "x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)";

    // Points that reach every primitive's domain edges: zeros, negatives, large magnitudes.
    private static readonly double[] Points =
        [-800, -30, -5, -2.5, -1, -0.75, -0.5, -1e-3, 0, 1e-3, 0.3, 0.5, 1, 1.5, 2, 3, 7.25, 25, 90, 800];

    /// <summary>Runs the compiled module in float64 on an NC tensor of the points and the CPU evaluator on the same points.</summary>
    private static (double[] Torch, double[] Cpu) Both(Expr expr, double[] xs)
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = 1 });
        module.to(ScalarType.Float64);
        var y = module.forward(tensor(xs, ScalarType.Float64).reshape(xs.Length, 1));
        return (y.data<double>().ToArray(), CompiledExpr.Compile(expr).Evaluate(xs));
    }

    internal static void AssertClose(double[] expected, double[] actual, string what, double rel = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsInfinity(e))
            {
                Assert.True(e.Equals(a), $"{what}[{i}]: CPU gives {e}, torch {a}");
                continue;
            }
            Assert.True(Math.Abs(e - a) <= rel * Math.Max(Math.Abs(e), Math.Abs(a)) + 1e-12, $"{what}[{i}]: CPU gives {e:R}, torch {a:R}");
        }
    }

    [Fact]
    public void Every_registry_primitive_has_a_lowering()
    {
        var missing = PrimitiveRegistry.Default.All
            .Where(p => p.Kind != PrimitiveKind.Aggregate && !TorchPrimitives.Supported.Contains(p.Name)).Select(p => p.Name);
        Assert.Empty(missing);
    }

    public static TheoryData<string> UnaryNames() => [.. PrimitiveRegistry.Default.Unary.Select(p => p.Name)];

    public static TheoryData<string> BinaryNames() => [.. PrimitiveRegistry.Default.Binary.Select(p => p.Name)];

    public static TheoryData<string> AggregateNames() => [.. PrimitiveRegistry.Default.Aggregates.Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void Unary_primitive_matches_the_cpu_evaluator(string name)
    {
        var expr = Expr.Call(name, Expr.X);
        var (t, c) = Both(expr, Points);
        AssertClose(c, t, expr.ToString());
    }

    [Theory]
    [MemberData(nameof(BinaryNames))]
    public void Binary_primitive_matches_the_cpu_evaluator_on_tensors_and_scalars(string name)
    {
        // Second operand: a varying tensor with zeros, negatives and positives; then numbers on either side.
        var other = ExprParser.Parse("relu(x) - 0.5 * abs(x - 1) + 0.5");
        foreach (var expr in new[]
        {
            Expr.Call(name, Expr.X, other),
            Expr.Call(name, other, Expr.X),
            Expr.Call(name, Expr.X, Expr.Const(0.5)),
            Expr.Call(name, Expr.X, Expr.Const(0)),
            Expr.Call(name, Expr.X, Expr.Const(-2)),
            Expr.Call(name, Expr.Const(2), Expr.X),
            Expr.Call(name, Expr.Const(-1.5), Expr.X),
        })
        {
            var (t, c) = Both(expr, Points);
            AssertClose(c, t, expr.ToString());
        }
    }

    [Fact]
    public void Protected_division_gives_one_where_the_divisor_is_zero()
    {
        var (t, _) = Both(ExprParser.Parse("pdiv(x, relu(x))"), [-2, 0, 4]);
        Assert.Equal([1, 1, 1], t);
    }

    [Fact]
    public void Constant_subgraphs_and_parameter_only_graphs_broadcast_to_the_input()
    {
        foreach (var text in new[] { "exp(2) + 1", "beta{0.25}", "sigmoid(beta{0.25}) * 3" })
        {
            var (t, c) = Both(ExprParser.Parse(text), Points);
            AssertClose(c, t, text);
        }
    }

    private static double[] Seeded(int count, int seed, double scale = 1, double shift = 0)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => shift + scale * (r.NextDouble() * 2 - 1))];
    }

    private static (double[] Torch, double[] Cpu) BothLayer(Expr expr, TensorShape shape, double[] xs, bool training = true)
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = shape.C });
        module.to(ScalarType.Float64);
        module.train(training);
        long[] dims = shape.H == 1 && shape.W == 1 ? [shape.N, shape.C] : [shape.N, shape.C, shape.H, shape.W];
        var y = module.forward(tensor(xs, ScalarType.Float64).reshape(dims));
        var cpu = new double[xs.Length];
        CompiledExpr.Compile(expr).Evaluate(xs, cpu, shape);
        return (y.contiguous().data<double>().ToArray(), cpu);
    }

    [Theory]
    [MemberData(nameof(AggregateNames))]
    public void Aggregate_matches_the_cpu_evaluator_on_nchw_and_nc_inputs(string name)
    {
        var prim = PrimitiveRegistry.Default.Get(name);
        int groups = prim.Axes == AggregateAxes.Group ? 4 : 0;
        // A constant's statistic is the statistic of a constant field (it failed with "count" out of range in a search:
        // sqrt(max(x, square(instance_m2(1e-5))) + 1e-5), evonorm-s, 2026-12-07).
        foreach (var arg in new[] { Expr.X, ExprParser.Parse("x * x + 3 * x"), ExprParser.Parse("1.5") })
        {
            var expr = new Aggregate(prim, arg, groups);
            foreach (var shape in new[] { new TensorShape(3, 8, 4, 5), new TensorShape(6, 8) })
            {
                var xs = Seeded(shape.Length, 11, 2, 0.5);
                var (t, c) = BothLayer(expr, shape, xs);
                AssertClose(c, t, $"{expr} on {shape}");
            }
        }
    }

    [Theory]
    [InlineData(EvoNormB0)]
    [InlineData(EvoNormS0)]
    public void EvoNorm_cores_match_the_cpu_evaluator_on_nchw(string formula)
    {
        var expr = ExprParser.Parse(formula, Layer);
        var shape = new TensorShape(4, 64, 5, 5);
        var (t, c) = BothLayer(expr, shape, Seeded(shape.Length, 5, 3, 0.2));
        AssertClose(c, t, formula);
    }

    [Fact]
    public void Parameters_are_registered_scalar_or_per_channel_at_their_initial_values()
    {
        var expr = ExprParser.Parse("x * sigmoid(beta{0.5, scalar} * x) + v0{0.25, channel}");
        using var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = 6 });
        var ps = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(["beta", "v0"], ps.Keys.Order());
        Assert.Empty(ps["beta"].shape);
        Assert.Equal(0.5f, ps["beta"].item<float>());
        Assert.Equal([6L], ps["v0"].shape);
        Assert.All(ps["v0"].data<float>().ToArray(), v => Assert.Equal(0.25f, v));
        Assert.All(ps.Values, p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Per_channel_parameters_need_a_channel_count()
    {
        var e = Assert.Throws<ArgumentException>(() => ExprModule.Compile(ExprParser.Parse("v1 * x", Layer)));
        Assert.Contains("Channels", e.Message);
    }

    [Fact]
    public void Group_statistics_need_a_divisible_channel_count()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            ExprModule.Compile(ExprParser.Parse(EvoNormS0, Layer), new ExprCompileOptions { Channels = 48 }));
        Assert.Contains("divisible by 32", e.Message);
    }

    [Fact]
    public void Batch_statistics_update_running_averages_in_training_and_are_used_in_eval()
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(ExprParser.Parse("x - batch_mean(x)"), new ExprCompileOptions { Channels = 2 });
        // Channel 0 has mean 1, channel 1 has mean 3.
        var x = tensor(new float[] { 0, 2, 2, 4 }, 2, 2).t().contiguous(); // rows (0, 2) and (2, 4)
        module.train();
        module.forward(x);
        var (name, running) = Assert.Single(module.RunningStatistics);
        Assert.Equal("batch_mean", name);
        Assert.Equal([0.1f, 0.3f], running.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        module.forward(x);
        Assert.Equal([0.19f, 0.57f], running.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);

        module.eval();
        var y = module.forward(x);
        Assert.Equal([0 - 0.19f, 2 - 0.57f, 2 - 0.19f, 4 - 0.57f], y.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        // Eval mode does not update the averages.
        Assert.Equal([0.19f, 0.57f], running.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void EvoNorm_B0_in_eval_mode_uses_the_running_variance()
    {
        using var scope = NewDisposeScope();
        var expr = ExprParser.Parse(EvoNormB0, Layer);
        using var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = 4 });
        module.to(ScalarType.Float64);
        var x = randn(8, 4, 3, 3, ScalarType.Float64) * 2;
        module.eval();
        // Fresh running variance is 1, so eval computes x / max(sqrt(1 + 1e-5), x + sqrt(instance_var + 1e-5)).
        var expected = x / maximum(full_like(x, Math.Sqrt(1 + 1e-5)), x + (x.var([2, 3], unbiased: false, keepdim: true) + 1e-5).sqrt());
        var y = module.forward(x);
        Assert.True(allclose(y, expected, 1e-12, 1e-12));
    }

    [Fact]
    public void Layer_wrapper_adds_per_channel_gamma_and_beta()
    {
        using var scope = NewDisposeScope();
        using var layer = new NormActivationLayer(ExprParser.Parse(EvoNormS0, Layer), 32);
        var names = layer.named_parameters().Select(p => p.name).Order().ToArray();
        Assert.Equal(["beta", "core.v1", "gamma"], names);
        Assert.Equal(3 * 32, layer.parameters().Sum(p => p.numel()));
        var x = randn(2, 32, 4, 4);
        Assert.True(allclose(layer.forward(x), layer.Core.forward(x)));
        using (no_grad())
        {
            layer.Gamma.fill_(2);
            layer.Beta.fill_(-1);
        }
        Assert.True(allclose(layer.forward(x), layer.Core.forward(x) * 2 - 1, 1e-5, 1e-6));
    }

    [Fact]
    public void Fusing_x_sigmoid_x_into_silu_computes_the_same_function()
    {
        using var scope = NewDisposeScope();
        var expr = ExprParser.Parse("x * sigmoid(x)");
        using var plain = ExprModule.Compile(expr);
        using var fused = ExprModule.Compile(expr, new ExprCompileOptions { FuseKnownPatterns = true });
        var x = randn(100, 3, ScalarType.Float64);
        Assert.True(allclose(plain.forward(x), fused.forward(x), 1e-12, 1e-12));
    }
}
