using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>Learned units in TorchSharp modules: the same function as the CPU kernels, gradients for x and every coefficient, KAT's channel groups.</summary>
public class LearnedUnitModuleTests
{
    static LearnedUnitModuleTests() => TestTorch.Init();

    private static readonly string[] FormulaTexts =
    [
        "rational{5,4}(x)",
        "rational{3,0,init=gelu}(x)",
        "rational{2,3,coef=[0.1,-0.5,0.3,0.2,-0.7,0.4]}(x)",
        "spline{3,8}(x)",
        "spline{3,8,init=relu}(x)",
        "spline{1,4,range=2,init=tanh}(x)",
        "spline{5,6,init=gelu}(x)",
        "x * sigmoid(rational{3,2,init=tanh}(beta{0.7} * x)) + spline{2,5,init=elu}(x - 0.5) + rational{1,1,coef=[1,1,1]}(2)",
    ];

    // Every formula through the fused op (one pass, our kernels) and through the op chain (autograd over libtorch ops).
    public static TheoryData<string, Fusion> Formulas()
    {
        var data = new TheoryData<string, Fusion>();
        foreach (string f in FormulaTexts)
            foreach (var fusion in new[] { Fusion.On, Fusion.Off }) data.Add(f, fusion);
        return data;
    }

    // Off the knots and off x = 0 (where |q| and relu-like fits have kinks), with points far outside every fit interval.
    private static readonly double[] Points = [-800, -30, -5.03, -2.71, -1.13, -0.61, -0.27, 0.013, 0.31, 0.77, 1.19, 2.23, 3.57, 4.91, 30, 800];

    // Modules start their parameters in float32, as training runs them: the CPU side takes the same rounded values.
    private static double[] AsModuleHasThem(CompiledExpr compiled) => [.. compiled.Parameters.Select(p => (double)(float)p.Initial)];

    private static ExprModule Module(Expr expr, Fusion fusion, int channels = 1)
    {
        var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = channels, Fusion = fusion });
        module.to(ScalarType.Float64);
        return module;
    }

    [Theory]
    [MemberData(nameof(Formulas))]
    public void The_module_computes_what_the_cpu_kernels_compute(string text, Fusion fusion)
    {
        var expr = ExprParser.Parse(text);
        using var scope = NewDisposeScope();
        using var module = Module(expr, fusion);
        Assert.False(module.IsFused); // no whole-graph fused program: each unit is one op of its own
        var y = module.forward(tensor(Points, ScalarType.Float64).reshape(Points.Length, 1));
        var compiled = CompiledExpr.Compile(expr);
        CompilerTests.AssertClose(compiled.Evaluate(Points, AsModuleHasThem(compiled)), y.data<double>().ToArray(), text, rel: 1e-9);
    }

    [Theory]
    [MemberData(nameof(Formulas))]
    public void Autograd_gives_the_cpu_derivative_for_x_and_central_differences_for_every_coefficient(string text, Fusion fusion)
    {
        var expr = ExprParser.Parse(text);
        var compiled = CompiledExpr.Compile(expr);
        double[] xs = [.. Points.Where(p => Math.Abs(p) < 100)];
        using var scope = NewDisposeScope();
        using var module = Module(expr, fusion);
        var x = tensor(xs, ScalarType.Float64).reshape(xs.Length, 1).requires_grad_(true);
        module.forward(x).sum().backward();

        var y = new double[xs.Length];
        var dy = new double[xs.Length];
        double[] initial = AsModuleHasThem(compiled);
        compiled.EvaluateWithDerivative(xs, y, dy, initial);
        CompilerTests.AssertClose(dy, x.grad!.data<double>().ToArray(), $"d/dx {text}", rel: 1e-9);

        // d(sum f) / d(coefficient) by central differences of the CPU evaluation, coefficient by coefficient.
        double Sum(double[] values) => compiled.Evaluate(xs, values).Sum();
        foreach (var unit in expr.LearnedUnits())
        {
            var grad = module.ParameterOf(unit.Name).grad!.data<double>().ToArray();
            Assert.Equal(unit.Unit.Count, grad.Length);
            for (int i = 0; i < unit.Unit.Count; i++)
            {
                int at = compiled.Parameters.Select(p => p.Name).ToList().IndexOf(unit.Coefficients[i].Name);
                double h = 1e-6 * Math.Max(1, Math.Abs(initial[at]));
                double[] up = [.. initial], down = [.. initial];
                up[at] += h;
                down[at] -= h;
                double numeric = (Sum(up) - Sum(down)) / (2 * h);
                Assert.True(Math.Abs(numeric - grad[i]) <= 1e-5 * (1 + Math.Abs(numeric)),
                    $"{text}: d/d{unit.Coefficients[i].Name} autograd {grad[i]:R}, central differences {numeric:R}");
            }
        }
    }

    [Theory]
    [InlineData(Fusion.On)]
    [InlineData(Fusion.Off)]
    public void Grouped_rational_units_give_each_channel_group_its_own_coefficients(Fusion fusion)
    {
        var expr = ExprParser.Parse("rational{2,1,groups=4,coef=[0,1,0,0]}(x)");
        const int channels = 8;
        using var scope = NewDisposeScope();
        using var module = Module(expr, fusion, channels);
        var coefficients = module.ParameterOf("rational0");
        Assert.Equal([4L, 4L], coefficients.shape);
        // Group g: p = [g, 1, 0.1 g], q1 = 0.2 g.
        double[,] values = new double[4, 4];
        for (int g = 0; g < 4; g++) (values[g, 0], values[g, 1], values[g, 2], values[g, 3]) = (g, 1, 0.1 * g, 0.2 * g);
        using (no_grad()) coefficients.copy_(tensor(values, ScalarType.Float64));
        double[] xs = [-2.5, -1, 0.3, 1.7, 3];
        var input = tensor(xs, ScalarType.Float64).reshape(1, 1, 1, xs.Length).expand(2, channels, 3, xs.Length).contiguous();
        var y = module.forward(input);
        var unit = expr.LearnedUnits()[0].Unit;
        for (int c = 0; c < channels; c++)
        {
            int g = c / 2;
            double[] set = [values[g, 0], values[g, 1], values[g, 2], values[g, 3]];
            var row = y[1, c, 2].data<double>().ToArray();
            for (int i = 0; i < xs.Length; i++) Assert.Equal(unit.Evaluate(set, xs[i]), row[i], 12);
        }
        // Each set's gradient sums over its own channels only: with an upstream gradient on channel 0 alone, only group 0 moves.
        var x = input.clone().requires_grad_(true);
        module.forward(x)[TensorIndex.Colon, 0].sum().backward();
        var grad = coefficients.grad!.data<double>().ToArray();
        Assert.Contains(grad.Take(4), g => g != 0);
        Assert.All(grad.Skip(4), g => Assert.Equal(0, g));
    }

    [Fact]
    public void Fused_units_run_on_several_training_slots_at_once_with_the_results_of_one()
    {
        // The fused op keeps no state between calls: four threads, each with its own module and input, as four slots do.
        var expr = ExprParser.Parse("rational{5,4,groups=2}(x) * spline{3,8,init=gelu}(x)");
        (float[] Y, float[] Dx, float[] Dc) Run(int seed)
        {
            using var scope = NewDisposeScope();
            var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = 4, Fusion = Fusion.On });
            var x = (randn([16, 4, 8, 8], generator: new Generator((ulong)seed)) * 2).requires_grad_(true);
            var y = module.forward(x);
            y.square().sum().backward();
            return (y.data<float>().ToArray(), x.grad!.data<float>().ToArray(), [.. module.parameters().SelectMany(p => p.grad!.data<float>().ToArray())]);
        }
        var alone = Enumerable.Range(1, 4).Select(Run).ToArray();
        var together = new (float[] Y, float[] Dx, float[] Dc)[4];
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() => together[i] = Run(i + 1))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(alone[i].Y, together[i].Y);
            Assert.Equal(alone[i].Dx, together[i].Dx);
            Assert.Equal(alone[i].Dc, together[i].Dc);
        }
    }

    [Fact]
    public void Fused_and_op_chain_units_train_to_the_same_values()
    {
        // Same seed, same data, float32 as training runs: the fused op and the op chain follow the same trajectory.
        var expr = ExprParser.Parse("rational{3,2,groups=2}(x) + spline{3,4,init=relu}(0.5 * x)");
        float[] Train(Fusion fusion)
        {
            using var scope = NewDisposeScope();
            var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = 4, Fusion = fusion });
            var x = linspace(-4, 4, 4 * 64).reshape(4, 4, 4, 4);
            var target = x.sin();
            var optimizer = optim.SGD(module.parameters(), 0.01);
            for (int step = 0; step < 20; step++)
            {
                optimizer.zero_grad();
                nn.functional.mse_loss(module.forward(x), target).backward();
                optimizer.step();
            }
            return [.. module.parameters().SelectMany(p => p.data<float>().ToArray())];
        }
        var fused = Train(Fusion.On);
        var chain = Train(Fusion.Off);
        Assert.Equal(chain.Length, fused.Length);
        for (int i = 0; i < fused.Length; i++) Assert.True(Math.Abs(fused[i] - chain[i]) <= 1e-4 * (1 + Math.Abs(chain[i])), $"{i}: {fused[i]} vs {chain[i]}");
    }

    [Fact]
    public void A_group_count_that_does_not_divide_the_channels_is_refused_when_compiling()
    {
        var expr = ExprParser.Parse("rational{5,4,groups=3}(x)");
        var e = Assert.Throws<ArgumentException>(() => ExprModule.Compile(expr, new ExprCompileOptions { Channels = 16 }));
        Assert.Contains("3 groups", e.Message);
        Assert.Contains("16 channels", e.Message);
        Assert.Throws<ArgumentException>(() => ExprModule.Compile(expr)); // channels unknown
    }

    [Fact]
    public void Coefficients_train_by_gradient_descent()
    {
        // A rational unit started at the identity learns tanh on [-3, 3]: the loss falls by two orders of magnitude.
        var expr = ExprParser.Parse("rational{3,2,init=identity}(x)");
        using var scope = NewDisposeScope();
        var module = ExprModule.Compile(expr, new ExprCompileOptions { Channels = 1 });
        var x = linspace(-3, 3, 241).reshape(241, 1);
        var target = x.tanh();
        var optimizer = optim.Adam(module.parameters(), 0.05);
        double first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(module.forward(x), target);
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
            if (step == 0) first = last;
        }
        Assert.True(last < first / 100, $"loss {first} -> {last}");
    }
}
