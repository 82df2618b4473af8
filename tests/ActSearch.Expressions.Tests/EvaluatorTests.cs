using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

public class EvaluatorTests
{
    private static readonly double[] Points = [-7.5, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.25, 0.5, 1, 2, 3, 7.5];

    public static TheoryData<string> Unaries => new(PrimitiveRegistry.Default.Unary.Select(p => p.Name));

    public static TheoryData<string> Binaries => new(PrimitiveRegistry.Default.Binary.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(Unaries))]
    public void Vector_kernels_agree_with_scalar_kernels_for_every_unary_primitive(string name)
    {
        var op = PrimitiveRegistry.Default.Get(name);
        var xs = Enumerable.Range(0, 1000).Select(i => -8 + i * 0.016).Concat(Points).ToArray();
        var y = CompiledExpr.Compile(new Unary(op, Expr.X)).Evaluate(xs);
        for (int i = 0; i < xs.Length; i++)
        {
            double expected = op.Apply1!(xs[i]);
            if (!double.IsFinite(expected)) Assert.True(expected.Equals(y[i]), $"{name}({xs[i]}) = {y[i]}, expected {expected}");
            else Assert.True(Math.Abs(y[i] - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{name}({xs[i]}) = {y[i]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Binaries))]
    public void Vector_kernels_agree_with_scalar_kernels_for_every_binary_primitive(string name)
    {
        var op = PrimitiveRegistry.Default.Get(name);
        foreach (var e in new Expr[] { new Binary(op, Expr.X, Expr.Call("cos", Expr.X)), new Binary(op, Expr.X, Expr.Const(3)), new Binary(op, Expr.Const(0.5), Expr.X) })
        {
            var y = CompiledExpr.Compile(e).Evaluate(Points);
            for (int i = 0; i < Points.Length; i++)
            {
                double x = Points[i];
                double expected = e switch
                {
                    Binary { Right: Constant c } => op.Apply2!(x, c.Value),
                    Binary { Left: Constant c } => op.Apply2!(c.Value, x),
                    _ => op.Apply2!(x, Math.Cos(x)),
                };
                Assert.True(expected.Equals(y[i]) || Math.Abs(y[i] - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{e} at {x}: {y[i]} vs {expected}");
            }
        }
    }

    [Theory]
    [InlineData("log(x)", -1.0)]
    [InlineData("sqrt(x)", -4.0)]
    [InlineData("x / x", 0.0)]
    [InlineData("slog(x)", 0.0)]
    [InlineData("x ^ 0.5", -2.0)]
    public void Out_of_domain_inputs_give_NaN_not_exceptions(string formula, double x)
    {
        Assert.True(double.IsNaN(CompiledExpr.Compile(ExprParser.Parse(formula)).Evaluate(x)));
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(1e-4, 1.1283791633342526e-4)]
    public void Erf_is_exact_to_double_precision(double x, double expected)
    {
        Assert.Equal(expected, Kernels.Erf(x), 15);
        Assert.True(Math.Abs(Kernels.Erf(x) - expected) <= 2e-16 + 1e-15 * Math.Abs(expected));
    }

    [Fact]
    public void Known_activations_evaluate_to_their_textbook_values()
    {
        double Eval(string f, double x) => CompiledExpr.Compile(ExprParser.Parse(f)).Evaluate(x);
        Assert.Equal(1.0 / (1 + Math.Exp(-1)), Eval("x * sigmoid(x)", 1), 14);
        Assert.Equal(0.8413447460685429, Eval("0.5 * x * (1 + erf(x / sqrt(2)))", 1), 14);
        Assert.Equal(0.8413447460685429, Eval("0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x^3)))", 1), 3);
        Assert.Equal(0.8650983882673103, Eval("x * tanh(softplus(x))", 1), 14);
        Assert.Equal(0.0, Eval("relu(x)", -2));
    }

    [Fact]
    public void Parameters_default_to_their_initial_values_and_can_be_overridden()
    {
        var c = CompiledExpr.Compile(ExprParser.Parse("x * sigmoid(beta{2} * x)"));
        Assert.Equal(1 / (1 + Math.Exp(-2)), c.Evaluate(1), 14);
        Assert.Equal(1 / (1 + Math.Exp(-3)), c.Evaluate(1, [3.0]), 14);
    }

    [Theory]
    [InlineData("min(x, atan(v1))", 3.0, 0.7853981633974483)]
    [InlineData("min(atan(v1), x)", -2.0, -2.0)]
    [InlineData("pdiv(x, v0{0})", 5.0, 1.0)]
    [InlineData("x * sigmoid(beta{2} * 1) + softplus(v0{0})", 2.0, 2.45474133651571)]
    public void Subgraphs_of_parameters_only_are_scalars_computed_once_per_call(string formula, double x, double expected)
    {
        var c = CompiledExpr.Compile(ExprParser.Parse(formula));
        Assert.Equal(expected, c.Evaluate(x), 14);
        Assert.Equal(expected, c.Evaluate([x, x, x])[2], 14);
    }

    [Fact]
    public void Statistics_of_parameters_broadcast_like_constants()
    {
        var y = new double[8];
        CompiledExpr.Compile(ExprParser.Parse("x + batch_mean(v1{2}) + instance_var(v1{2})")).Evaluate([1, 2, 3, 4, 5, 6, 7, 8], y, new TensorShape(2, 2, 1, 2));
        Assert.Equal([3.0, 4, 5, 6, 7, 8, 9, 10], y);
    }

    [Fact]
    public void Shared_and_repeated_subgraphs_are_computed_once()
    {
        var t = Expr.Call("tanh", Expr.X);
        var shared = new Binary(PrimitiveRegistry.Default.Get("mul"), t, t);
        Assert.Equal(3, CompiledExpr.Compile(shared).InstructionCount); // x, tanh, mul
        Assert.Equal(3, CompiledExpr.Compile(ExprParser.Parse("tanh(x) * tanh(x)")).InstructionCount);
        Assert.Equal(6, CompiledExpr.Compile(ExprParser.Parse("tanh(x) * tanh(2 * x)")).InstructionCount); // x, tanh, 2, 2x, tanh, mul
    }

    [Fact]
    public void Long_inputs_are_evaluated_in_chunks_with_the_same_results()
    {
        var c = CompiledExpr.Compile(ExprParser.Parse("x * sigmoid(x) + sin(x) / (1 + square(x))"));
        var xs = Enumerable.Range(0, 10_007).Select(i => i * 0.001 - 5).ToArray();
        var whole = c.Evaluate(xs);
        for (int i = 0; i < xs.Length; i += 97)
        {
            double x = xs[i];
            double expected = x / (1 + Math.Exp(-x)) + Math.Sin(x) / (1 + x * x);
            Assert.Equal(expected, whole[i], 12);
        }
    }

    [Fact]
    public void Derivatives_match_finite_differences()
    {
        var graphs = new RandomGraphs(seed: 17);
        var xs = new[] { -2.3, -0.7, 0.4, 1.3, 2.9 };
        int compared = 0;
        for (int i = 0; i < 2_000; i++)
        {
            var e = graphs.Next(5);
            var c = CompiledExpr.Compile(e);
            var y = new double[xs.Length];
            var dy = new double[xs.Length];
            c.EvaluateWithDerivative(xs, y, dy);
            for (int k = 0; k < xs.Length; k++)
            {
                const double h = 1e-6;
                double fd = (c.Evaluate(xs[k] + h) - c.Evaluate(xs[k] - h)) / (2 * h);
                // Skip where double precision cannot resolve a difference quotient (huge values, huge slopes).
                if (!double.IsFinite(fd) || !double.IsFinite(dy[k]) || Math.Abs(fd) > 1e4 || Math.Abs(y[k]) > 1e6) continue;
                // Kinks (relu, abs, max) may sit between x - h and x + h; the rest must agree.
                double tolerance = 1e-4 * Math.Max(1, Math.Abs(fd));
                if (Math.Abs(fd - dy[k]) > tolerance && !HasKinkNear(e, xs[k])) Assert.Fail($"{e} at {xs[k]}: f' = {dy[k]}, finite difference {fd}");
                compared++;
            }
        }
        Assert.True(compared > 3_000, $"only {compared} comparisons");
    }

    private static bool HasKinkNear(Expr e, double x)
    {
        // Evaluate every kinked node's argument(s) around x; a sign change of the kink's switch means a kink.
        foreach (var n in e.Nodes())
        {
            Func<double, double>? s = n switch
            {
                Unary { Op.Name: "relu" or "abs" or "slog" or "ssqrt" } u => v => CompiledExpr.Compile(u.Arg).Evaluate(v),
                Binary { Op.Name: "max" or "min" } b => v => CompiledExpr.Compile(b.Left).Evaluate(v) - CompiledExpr.Compile(b.Right).Evaluate(v),
                Binary { Op.Name: "pdiv" } b => v => CompiledExpr.Compile(b.Right).Evaluate(v),
                _ => null,
            };
            if (s is not null && (Math.Sign(s(x - 1e-5)) != Math.Sign(s(x + 1e-5)) || Math.Abs(s(x)) < 1e-5)) return true;
        }
        return false;
    }

    [Fact]
    public void Derivative_of_swish_is_the_known_closed_form()
    {
        var c = CompiledExpr.Compile(ExprParser.Parse("x * sigmoid(x)"));
        double[] xs = [-3, -1, 0, 1, 3], y = new double[5], dy = new double[5];
        c.EvaluateWithDerivative(xs, y, dy);
        for (int i = 0; i < xs.Length; i++)
        {
            double s = 1 / (1 + Math.Exp(-xs[i]));
            Assert.Equal(s + xs[i] * s * (1 - s), dy[i], 14);
        }
    }

    [Fact]
    public void Complexity_counts_tree_nodes_and_flops_count_shared_nodes_once()
    {
        var e = ExprParser.Parse("x * sigmoid(x)");
        Assert.Equal(4, e.Complexity());
        Assert.Equal(3, e.NodeCount()); // x is one node
        Assert.Equal(13, e.Flops()); // mul 1 + sigmoid 12
        var t = Expr.Call("tanh", Expr.X);
        Assert.Equal(13, new Binary(PrimitiveRegistry.Default.Get("mul"), t, t).Flops());
    }

    [Fact]
    public void Same_input_gives_identical_bits_every_time()
    {
        var c = CompiledExpr.Compile(ExprParser.Parse("x^sinh(max(x, x)^exp(x)) + cube(gauss(x)) * tanh(x) / erf(x)"));
        var xs = Fingerprint.ScalarProbe.ToArray();
        var first = c.Evaluate(xs);
        for (int i = 0; i < 200; i++) Assert.Equal(first, c.Evaluate(xs));
    }
}
