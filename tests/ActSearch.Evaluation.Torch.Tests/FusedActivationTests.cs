using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Evolution;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// The fused op (issue 14) against the op chain it replaces, in float64: outputs and the gradients of x and of every
/// parameter agree within 1e-5 relative, and NaN and Inf land where the chain puts them; for every primitive, for 10,000
/// random formulas grown as the search spaces grow them, at 0, at large magnitudes and at the primitives' domain edges.
/// <para>
/// Runs alone (its own collection, not in parallel with other classes): twenty thousand modules and their tensors keep the
/// garbage collector busy, and TorchSharp's optimizers pass temporary Scalars to libtorch that a collection on another
/// thread can finalize mid-call ("Expected false to be true ... toDouble" in Adam's step, seen once in a clean-clone run
/// while this class ran beside the rejection-chain tests).
/// </para>
/// </summary>
[Collection(FusedCollection.Name)]
public class FusedActivationTests
{
    static FusedActivationTests() => TestTorch.Init();

    /// <summary>Zero, both signs of tiny and large magnitudes, domain edges (log, sqrt, pow at 0 and negatives), NaN and Inf.</summary>
    private static readonly double[] Inputs =
    [
        0, 1e-300, -1e-300, 1e-6, -1e-6, 0.25, -0.25, 0.5, -0.5, 0.49999, 0.7, -0.7, 1, -1, 1.5, -2, 2.5, -3, 5, -7,
        20, -20, 30, -30, 88, -88, 700, -700, 1e3, -1e3, 1e30, -1e30, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
    ];

    /// <summary>
    /// y, the gradient of sum(y * w) with respect to x and the parameters, and w: a weight per element (from -1.5 to 2), so
    /// every element's gradient counts on its own; <paramref name="weighted"/> false: w = 1.
    /// </summary>
    private static (double[] Y, double[] Dx, double[][] DParameters, double[] W) Run(Expr expr, bool fuse, double[] xs, int channels = 0, bool weighted = true)
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(expr, new ExprCompileOptions { Fusion = fuse ? Fusion.On : Fusion.Off, Channels = channels });
        Assert.Equal(fuse, module.IsFused);
        module.to(ScalarType.Float64);
        long c = Math.Max(channels, 1);
        var x = tensor(xs, ScalarType.Float64).reshape(xs.Length / c, c).requires_grad_(true);
        var y = module.forward(x);
        var w = weighted ? linspace(-1.5, 2, xs.Length, ScalarType.Float64).reshape(x.shape) : ones_like(y);
        (y * w).sum().backward();
        var parameters = module.parameters().Select(p => p.grad is { } g ? g.data<double>().ToArray() : []).ToArray();
        return (y.detach().data<double>().ToArray(), x.grad!.data<double>().ToArray(), parameters, w.data<double>().ToArray());
    }

    private static bool Close(double a, double b) =>
        a.Equals(b) || Math.Abs(a - b) <= 1e-7 * Math.Max(Math.Abs(a), Math.Abs(b)) + 1e-12;

    private static bool Agree(double chain, double fused) =>
        double.IsNaN(chain) || double.IsInfinity(chain)
            ? chain.Equals(fused)
            : Math.Abs(chain - fused) <= 1e-5 * Math.Max(Math.Abs(chain), Math.Abs(fused)) + 1e-12;

    private static void AssertSame(double chain, double fused, string what) =>
        Assert.True(Agree(chain, fused), $"{what}: the op chain gives {chain:R}, the fused op {fused:R}");

    private static void AssertAgrees(Expr expr, double[] xs, int channels = 0, bool skipIllConditioned = false)
    {
        var chain = Run(expr, fuse: false, xs, channels);
        var fused = Run(expr, fuse: true, xs, channels);
        // The fused op takes f'(x) in its forward pass (the chain rule seeded with 1) and multiplies by the gradient w
        // afterwards; the chain carries w through every node. Both are the op chain's arithmetic, rounded in another order:
        // where terms cancel (d/dx x / x = 1/x - x/x^2, 0 exactly from a seed of 1, -2.3e-10 from w = -1.19 at x = 1e-6) x's
        // gradient may equal either the chain's with w or the chain's with 1 times w.
        var unweighted = Run(expr, fuse: false, xs, channels, weighted: false);
        // Where moving x by 1e-13 of itself moves f or f' by more than 1e-7 (sin(exp(e^6 x)), say), one ulp of difference
        // between two correct kernels decides the answer: such points say nothing about the fused op and are skipped.
        var nearby = skipIllConditioned ? Run(expr, fuse: false, [.. xs.Select(v => v * (1 + 1e-13))], channels) : chain;
        string formula = TextPrinter.Print(expr);
        for (int i = 0; i < xs.Length; i++)
        {
            if (skipIllConditioned && !(Close(chain.Y[i], nearby.Y[i]) && Close(chain.Dx[i], nearby.Dx[i]))) continue;
            AssertSame(chain.Y[i], fused.Y[i], $"{formula} at x = {xs[i]:R}");
            if (!Agree(unweighted.Dx[i] * chain.W[i], fused.Dx[i]))
                AssertSame(chain.Dx[i], fused.Dx[i], $"d/dx {formula} at x = {xs[i]:R}");
        }
        for (int k = 0; k < chain.DParameters.Length; k++)
            for (int i = 0; i < chain.DParameters[k].Length; i++)
                AssertSame(chain.DParameters[k][i], fused.DParameters[k][i], $"d/dparameter {k}[{i}] of {formula}");
    }

    public static TheoryData<string> Primitives()
    {
        var data = new TheoryData<string>();
        foreach (var p in PrimitiveRegistry.Default.Unary) data.Add($"{p.Name}(x)");
        foreach (var p in PrimitiveRegistry.Default.Binary)
        {
            data.Add($"{p.Name}(x, 0.7 * x - 0.3)");
            data.Add($"{p.Name}(x, 2)");
            data.Add($"{p.Name}(1.5, x)");
            data.Add($"{p.Name}(x, x)");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Primitives))]
    public void Every_primitive_agrees_with_the_op_chain_at_zero_large_magnitudes_domain_edges_NaN_and_Inf(string formula) =>
        AssertAgrees(ExprParser.Parse(formula), Inputs);

    [Fact]
    public void Ten_thousand_random_formulas_agree_with_the_op_chain()
    {
        // Every primitive but max and min: where their operands are equal but for the last bit (exp(log(x)) against x), the
        // two sides' rounding decides which operand gets the gradient, and either answer is right. The primitive test
        // above checks them, exact ties included.
        var genome = new GenomeOptions
        {
            Unary = [.. PrimitiveRegistry.Default.Unary.Select(p => p.Name)],
            Binary = [.. PrimitiveRegistry.Default.Binary.Select(p => p.Name).Where(n => n is not ("max" or "min"))],
            Constants = [0, 0.5, 1, 2, 3],
            MaxParameters = 2,
            ParameterInitials = [0.5, 1.0],
            MaxNodes = 16,
            MaxDepth = 6,
        };
        var rng = new Rng(14);
        double[] xs = [.. Enumerable.Range(0, 24).Select(i => -6 + 0.5 * i + 0.013), 0, 1e3, -1e3];
        for (int k = 0; k < 10_000; k++)
            AssertAgrees(GenomeFactory.Create(rng, genome), xs, skipIllConditioned: true);
    }

    [Fact]
    public void Scalar_and_per_channel_parameters_get_the_op_chains_gradients()
    {
        var perChannel = new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel };
        double[] xs = [.. Enumerable.Range(0, 24).Select(i => -3 + 0.25 * i)];
        AssertAgrees(ExprParser.Parse("x * sigmoid(beta{1.3} * x) + alpha{0.2} * tanh(x)"), xs);
        AssertAgrees(ExprParser.Parse("v0{0.5} * x + max(x, v1{0.1} * x) * exp(-square(x))", perChannel), xs, channels: 4);
    }

    [Theory]
    [InlineData("x * sigmoid(x)", 1)] // f'(x) alone
    [InlineData("x * sigmoid(beta{1.3} * x)", 2)] // and df/dbeta
    [InlineData("x * sigmoid(beta{1.3} * x) + alpha{0.2} * tanh(x)", 3)]
    [InlineData("x * log(beta{2})", 2)] // a row for log(beta), which the product reads; beta's gradient goes through it once per call
    [InlineData("tanh(x) + sigmoid(1.5)", 1)] // constants have no gradient
    public void Training_saves_one_derivative_row_per_gradient_backward_needs(string formula, int rows) =>
        Assert.Equal(rows, FusedProgram.TryCompile(ExprParser.Parse(formula))!.DerivativeRows);

    [Fact]
    public void Without_gradients_the_forward_alone_runs_and_gives_the_training_forwards_values()
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(ExprParser.Parse("x * sigmoid(beta{1.3} * x) + tanh(x) * erf(x)"), new ExprCompileOptions { Fusion = Fusion.On });
        manual_seed(7);
        var x = randn(16, 8, 9, 9);
        var training = module.forward(x.clone().requires_grad_(true));
        Assert.True(training.requires_grad);
        using (no_grad())
        {
            var evaluation = module.forward(x);
            Assert.False(evaluation.requires_grad);
            Assert.True(evaluation.eq(training.detach()).all().item<bool>());
        }
    }

    [Theory]
    [InlineData("x * sigmoid(beta{1.3} * x)")]
    [InlineData("tanh(x) * erf(x) + 0.5 * x")]
    [InlineData("pdiv(x, relu(x) + 0.5) + slog(x) + ssqrt(x) * softplus(x)")]
    [InlineData("max(x, 0.3 * x) + min(gauss(x), erf(x)) + pow(abs(x) + 1, sin(x))")]
    [InlineData("tanh(x) * atan(x) + asinh(x) / (1 + square(x)) - cube(cos(x)) + sinh(x) * exp(-abs(x))")]
    public void Fused_gradients_match_central_differences(string formula)
    {
        using var scope = NewDisposeScope();
        using var module = ExprModule.Compile(ExprParser.Parse(formula), new ExprCompileOptions { Fusion = Fusion.On });
        module.to(ScalarType.Float64);
        double[] xs = [.. Enumerable.Range(0, 20).Select(i => -2.3 + 0.241 * i)];
        var x = tensor(xs, ScalarType.Float64).reshape(20, 1).requires_grad_(true);
        module.forward(x).sum().backward();
        var dx = x.grad!.data<double>().ToArray();
        const double h = 1e-6;
        using var _ = no_grad();
        var up = module.forward(tensor(xs.Select(v => v + h).ToArray(), ScalarType.Float64).reshape(20, 1)).data<double>().ToArray();
        var down = module.forward(tensor(xs.Select(v => v - h).ToArray(), ScalarType.Float64).reshape(20, 1)).data<double>().ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double numeric = (up[i] - down[i]) / (2 * h);
            Assert.True(Math.Abs(numeric - dx[i]) <= 1e-5 * Math.Max(Math.Abs(numeric), Math.Abs(dx[i])) + 1e-6,
                $"{formula} at {xs[i]}: finite differences {numeric:R}, fused {dx[i]:R}");
        }
    }

    [Fact]
    public void Float32_parameter_gradients_over_chunks_and_channel_blocks_match_the_op_chains()
    {
        // 5 channels of 37 x 29 = 1,073 elements: channel blocks and 4,096-element chunks cross each other, and a scalar
        // parameter's gradient is summed over 16,095 elements (in double lanes), a per-channel one over each block.
        using var scope = NewDisposeScope();
        var perChannel = new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel };
        var expr = ExprParser.Parse("v0{0.5} * x * sigmoid(v1{1.3} * x) + v2{0.2} * tanh(x)", perChannel);
        manual_seed(5);
        var x0 = randn(3, 5, 37, 29);
        var w = randn(3, 5, 37, 29);
        (Tensor Dx, Tensor[] DParameters) Grad(bool fuse)
        {
            using var module = ExprModule.Compile(expr, new ExprCompileOptions { Fusion = fuse ? Fusion.On : Fusion.Off, Channels = 5 });
            Assert.Equal(fuse, module.IsFused);
            var x = x0.clone().requires_grad_(true);
            (module.forward(x) * w).sum().backward();
            return (x.grad!, [.. module.parameters().Select(p => p.grad!.clone())]);
        }
        var (dxFused, dpFused) = Grad(true);
        var (dxChain, dpChain) = Grad(false);
        Assert.True(dxFused.allclose(dxChain, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(dpChain.Length, dpFused.Length);
        Assert.Equal(3, dpFused.Length);
        for (int i = 0; i < dpFused.Length; i++)
        {
            Assert.Equal(5, dpFused[i].numel());
            // Sums of thousands of floats in another order: float32 rounding of the op chain's reduction, no more.
            Assert.True(dpFused[i].allclose(dpChain[i], rtol: 1e-4, atol: 1e-3), $"parameter {i}: {dpFused[i].str()} vs {dpChain[i].str()}");
        }
    }

    [Fact]
    public void Float32_runs_fused_and_stays_within_float_rounding_of_the_op_chain()
    {
        using var scope = NewDisposeScope();
        var expr = ExprParser.Parse("tanh(x) * erf(x) + 0.5 * x * sigmoid(1.5 * x)");
        manual_seed(3);
        var x0 = randn(64, 8, 5, 5);
        Tensor Grad(bool fuse, out Tensor y)
        {
            using var module = ExprModule.Compile(expr, new ExprCompileOptions { Fusion = fuse ? Fusion.On : Fusion.Off });
            var x = x0.clone().requires_grad_(true);
            y = module.forward(x);
            y.sum().backward();
            return x.grad!;
        }
        var gf = Grad(true, out var yf);
        var gc = Grad(false, out var yc);
        Assert.True(yf.allclose(yc, rtol: 1e-5, atol: 1e-6));
        Assert.True(gf.allclose(gc, rtol: 1e-5, atol: 1e-6));
        // The same input twice: the same bits.
        Assert.True(Grad(true, out var again).eq(gf).all().item<bool>());
        Assert.True(again.eq(yf).all().item<bool>());
    }

    [Theory]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("erf")]
    [InlineData("gauss")]
    [InlineData("exp")]
    [InlineData("softplus")]
    [InlineData("relu")]
    [InlineData("sin")]
    [InlineData("cos")]
    public void Each_float32_kernel_stays_within_float_rounding_of_the_op_chain_including_its_domain_edges(string primitive)
    {
        using var scope = NewDisposeScope();
        float[] edges = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f, 1e-6f, -1e-6f, 4e-4f, -4e-4f,
            0.5f, -0.5f, 7.9f, -7.9f, 9f, -9f, 20f, -20f, 88.5f, -88.5f, 89f, -89f, 103f, -103f, 105f, -105f,
            8191f, -8191f, 1e4f, -3e4f, 1e7f]; // sin and cos: the last reducible magnitude, and beyond it (per lane)
        // A sweep through the range where the kernels switch formulas, and a length that leaves a tail of 11 (not a multiple of 16).
        var sweep = Enumerable.Range(0, 20_000).Select(i => -15f + 30f * i / 20_000);
        var x0 = tensor([.. edges, .. sweep, 0.3f, -0.3f, 0.7f, -0.7f]).reshape(1, -1);
        Tensor Run(Fusion fusion, out Tensor y)
        {
            using var module = ExprModule.Compile(ExprParser.Parse($"{primitive}(x)"), new ExprCompileOptions { Fusion = fusion });
            var x = x0.clone().requires_grad_(true);
            y = module.forward(x);
            y.backward([ones_like(y)]);
            return x.grad!;
        }
        var gf = Run(Fusion.On, out var yf);
        var gc = Run(Fusion.Off, out var yc);
        Assert.True(yf.allclose(yc, rtol: 1e-5, atol: 1e-6, equal_nan: true), $"{primitive}: largest difference {(yf - yc).abs().nan_to_num().max().item<float>()}");
        Assert.True(gf.allclose(gc, rtol: 1e-5, atol: 1e-6, equal_nan: true), $"{primitive}: largest gradient difference {(gf - gc).abs().nan_to_num().max().item<float>()}");
    }

    [Fact]
    public void Several_training_threads_run_fused_ops_at_once_and_each_gets_what_it_gets_alone()
    {
        string[] formulas = ["tanh(x) * erf(x) + 0.5 * x", "x * sigmoid(x)", "max(x, 0.3 * x) + gauss(x)", "softplus(x) - slog(x) * 0.1"];
        double[] xs = [.. Enumerable.Range(0, 20_000).Select(i => -5 + 10.0 * i / 20_000)]; // several chunks per call
        var alone = formulas.Select(f => Run(ExprParser.Parse(f), fuse: true, xs)).ToArray();
        var together = new (double[] Y, double[] Dx, double[][] DParameters, double[] W)[formulas.Length][];
        var threads = formulas.Select((f, k) => new Thread(() =>
        {
            together[k] = [.. Enumerable.Range(0, 20).Select(_ => Run(ExprParser.Parse(f), fuse: true, xs))];
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (int k = 0; k < formulas.Length; k++)
            foreach (var run in together[k])
            {
                Assert.Equal(alone[k].Y, run.Y);
                Assert.Equal(alone[k].Dx, run.Dx);
            }
    }

    [Fact]
    public void Auto_fuses_large_float32_inputs_and_small_ones_for_graphs_of_four_element_ops_where_the_AVX_512_kernels_run()
    {
        using var one = ExprModule.Compile(ExprParser.Parse("tanh(x)"), new ExprCompileOptions { Fusion = Fusion.Auto });
        using var two = ExprModule.Compile(ExprParser.Parse("x * sigmoid(x)"), new ExprCompileOptions { Fusion = Fusion.Auto });
        using var five = ExprModule.Compile(ExprParser.Parse("tanh(x) * erf(x) + 0.5 * x"), new ExprCompileOptions { Fusion = Fusion.Auto });
        bool avx512 = FusedFloatKernels.Enabled;
        const long small = ExprModule.AutoFusionMinElements - 1, large = ExprModule.AutoFusionMinElements;
        foreach (var module in new[] { one, two })
        {
            Assert.False(module.Fuses(small, ScalarType.Float32, DeviceType.CPU));
            Assert.Equal(avx512, module.Fuses(large, ScalarType.Float32, DeviceType.CPU));
        }
        Assert.Equal(avx512, five.Fuses(small, ScalarType.Float32, DeviceType.CPU));
        Assert.Equal(5, FusedProgram.TryCompile(five.Expr)!.ElementOps);
        foreach (var module in new[] { one, two, five })
        {
            Assert.False(module.Fuses(large, ScalarType.Float64, DeviceType.CPU));
            Assert.False(module.Fuses(large, ScalarType.Float32, DeviceType.CUDA));
        }

        // float64 under Auto runs the op chain: bit for bit what Off gives.
        using var scope = NewDisposeScope();
        using var off = ExprModule.Compile(five.Expr, new ExprCompileOptions { Fusion = Fusion.Off });
        var x = linspace(-6, 6, 1000, dtype: ScalarType.Float64).reshape(10, 100);
        Assert.True(five.forward(x).eq(off.forward(x)).all().item<bool>());
    }

    /// <summary>f, f' rows and parameter gradients of a float32 program over <paramref name="x"/> (4 channels of <paramref name="inner"/>).</summary>
    private static (float[] Y, float[] Plain, float[] Rows, float[] Dx, double[][] DParameters) RunFloat(FusedProgram program, float[] x, float[][] parameters, long inner)
    {
        var y = new float[x.Length];
        var plain = new float[x.Length];
        var rows = new float[program.DerivativeRows * x.Length];
        var dx = new float[x.Length];
        double[][] dParameters = [.. parameters.Select(p => new double[p.Length])];
        program.Forward<float>(x, plain, parameters, inner);
        program.ForwardWithDerivatives<float>(x, y, rows, parameters, inner);
        var dy = Enumerable.Range(0, x.Length).Select(i => -1.5f + 3.5f * i / x.Length).ToArray();
        program.Backward<float>(rows, dy, dx, parameters, inner, dParameters);
        return (y, plain, rows, dx, dParameters);
    }

    // The same kernels, nodes and order of accumulation: the same bits, NaN and Inf included.
    private static bool Same(float interpreted, float generated) => interpreted.Equals(generated);

    [Fact]
    public void Generated_float32_loops_give_the_interpreters_results_bit_for_bit_for_random_formulas_edges_tails_and_parameters()
    {
        if (!FusedFloatKernels.Enabled) // generated loops need AVX-512; without it the interpreter runs every formula
        {
            Assert.False(FusedProgram.TryCompile(ExprParser.Parse("tanh(x) * x"))!.RunsGeneratedLoop);
            return;
        }
        // Every primitive with a 16-lane kernel, parameters scalar or per channel, and inputs with the kernels' edges (0,
        // -0, NaN, Inf, overflow of exp) among ordinary values; 4 channels of 1,073 elements: a tail of 1 per channel run,
        // and 4,292 elements in all (a tail of 4 without channels).
        var perChannel = new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel };
        var genome = new GenomeOptions
        {
            Unary = [.. FusedFloatKernels.UnaryKernels.Keys],
            Binary = [.. FusedFloatKernels.BinaryKernels.Keys],
            Constants = [0, 0.5, 1, 2, 3],
            MaxParameters = 2,
            ParameterInitials = [0.5, 1.3],
            MaxNodes = 16,
            MaxDepth = 6,
        };
        const long inner = 1_073;
        float[] edges = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f, 0.5f, -0.5f, 9f, -9f, 89f, -89f, 105f, -105f];
        var x = Enumerable.Range(0, 4 * (int)inner).Select(i => i < edges.Length ? edges[i] : -6f + 12f * ((i * 7919) % 4292) / 4292f).ToArray();
        var rng = new Rng(1414);
        int generated = 0;
        for (int k = 0; k < 1_000; k++)
        {
            var expr = GenomeFactory.Create(rng, genome);
            if (k % 2 == 1) expr = ExprParser.Parse(TextPrinter.Print(expr), perChannel); // the same shape with per-channel parameters
            var fast = FusedProgram.TryCompile(expr)!;
            var slow = FusedProgram.TryCompile(expr, generateLoops: false)!;
            Assert.False(slow.RunsGeneratedLoop);
            if (!fast.RunsGeneratedLoop) continue; // the root is x or a scalar: the interpreter runs it
            generated++;
            float[][] parameters = [.. fast.Parameters.Select((p, j) => Enumerable.Range(0, p.Shape == ParameterShape.Scalar ? 1 : 4).Select(c => 0.4f + 0.3f * j + 0.2f * c).ToArray())];
            var a = RunFloat(slow, x, parameters, inner);
            var b = RunFloat(fast, x, parameters, inner);
            string formula = TextPrinter.Print(expr);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Same(a.Y[i], b.Y[i]), $"{formula} at x = {x[i]:R}: interpreted {a.Y[i]:R}, generated {b.Y[i]:R}");
                Assert.True(b.Y[i].Equals(b.Plain[i]), $"{formula} at x = {x[i]:R}: the training loop gives {b.Y[i]:R}, the plain loop {b.Plain[i]:R}");
                Assert.True(Same(a.Dx[i], b.Dx[i]), $"d/dx {formula} at x = {x[i]:R}: interpreted {a.Dx[i]:R}, generated {b.Dx[i]:R}");
            }
            for (int i = 0; i < a.Rows.Length; i++)
                Assert.True(Same(a.Rows[i], b.Rows[i]), $"{formula}: derivative row {i / x.Length} at x = {x[i % x.Length]:R}: interpreted {a.Rows[i]:R}, generated {b.Rows[i]:R}");
            for (int j = 0; j < a.DParameters.Length; j++)
                for (int c = 0; c < a.DParameters[j].Length; c++)
                {
                    double p = a.DParameters[j][c], q = b.DParameters[j][c];
                    Assert.True(p.Equals(q), $"{formula}: d/dparameter {j}[{c}] interpreted {p:R}, generated {q:R}");
                }
        }
        Assert.True(generated > 800, $"only {generated} of 1,000 formulas ran generated loops");
    }

    [Fact]
    public void A_formula_with_a_primitive_without_a_16_lane_kernel_runs_the_interpreter_and_threads_share_one_generated_loop()
    {
        Assert.False(FusedProgram.TryCompile(ExprParser.Parse("atan(x) * tanh(x)"))!.RunsGeneratedLoop);
        var program = FusedProgram.TryCompile(ExprParser.Parse("tanh(x) * erf(x) + 0.5 * x"))!;
        var x = Enumerable.Range(0, 50_000).Select(i => -5f + 10f * i / 50_000).ToArray();
        var alone = RunFloat(FusedProgram.TryCompile(ExprParser.Parse("tanh(x) * erf(x) + 0.5 * x"))!, x, [], 1);
        // Eight threads make the first call at once (the loop is generated once, lazily), then run it twenty times each.
        var results = new (float[] Y, float[] Plain, float[] Rows, float[] Dx, double[][] DParameters)[8][];
        var threads = Enumerable.Range(0, 8).Select(k => new Thread(() => results[k] = [.. Enumerable.Range(0, 20).Select(_ => RunFloat(program, x, [], 1))])).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(FusedFloatKernels.Enabled, program.RunsGeneratedLoop);
        foreach (var run in results.SelectMany(r => r))
        {
            Assert.Equal(alone.Y, run.Y);
            Assert.Equal(alone.Dx, run.Dx);
        }
    }

    [Fact]
    public void Layers_with_statistics_and_an_option_keep_the_op_chain()
    {
        var layer = new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel };
        using var norm = ExprModule.Compile(ExprParser.Parse("x / sqrt(layer_var(x) + 1e-5)", layer), new ExprCompileOptions { Fusion = Fusion.On, Channels = 4 });
        Assert.False(norm.IsFused);
        using var off = ExprModule.Compile(ExprParser.Parse("tanh(x)"), new ExprCompileOptions { Fusion = Fusion.Off });
        Assert.False(off.IsFused);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FusedCollection
{
    public const string Name = "fused op, alone";
}
