using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

/// <summary>rational{m, n} (PAU / KAT) and spline{k, grid} (KAN): the functions, their fits, the spec grammar, and how the graph tools treat their coefficients.</summary>
public class LearnedUnitTests
{
    private static Expr P(string text) => ExprParser.Parse(text);

    private static LearnedUnit Unit(string spec) => LearnedUnit.Parse(spec);

    private static IEnumerable<double> Grid(double lo, double hi, int n) => Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1));

    [Fact]
    public void A_rational_unit_starts_as_PAU_does_fitted_to_leaky_relu()
    {
        var unit = (RationalUnit)Unit("rational{5,4}");
        Assert.Equal("leaky_relu", unit.Init);
        Assert.Equal(10, unit.Count);
        Assert.InRange(unit.FitError, 0, 0.01);
        // Largest at the kink, where a smooth function cannot follow: 0.034 at x = 0.
        foreach (double x in Grid(-3, 3, 61))
            Assert.InRange(unit.Evaluate(unit.Initial.AsSpan(), x) - Math.Max(x, 0.01 * x), -0.04, 0.04);
        // The safe denominator has no poles: finite everywhere, even far outside the fit.
        foreach (double x in new[] { -1e6, -50, 50, 1e6 }) Assert.True(double.IsFinite(unit.Evaluate(unit.Initial.AsSpan(), x)));
    }

    [Theory]
    [InlineData("rational{5,4,init=gelu}", "gelu", 0.01)]
    [InlineData("rational{3,2,init=tanh}", "tanh", 0.02)]
    [InlineData("rational{5,4,init=silu}", "silu", 0.01)]
    [InlineData("spline{3,8,init=relu}", "relu", 0.05)]
    [InlineData("spline{3,16,init=gelu}", "gelu", 0.005)]
    public void Init_fits_the_named_function_by_least_squares_and_records_the_error(string spec, string init, double bound)
    {
        var unit = Unit(spec);
        var target = CompiledExpr.Compile(P(KnownFunctions.Formula(init)));
        var (lo, hi) = unit.FitInterval;
        double sum = 0;
        var xs = Grid(lo, hi, LearnedUnit.FitPoints).ToArray();
        foreach (double x in xs) sum += Math.Pow(unit.Evaluate(unit.Initial.AsSpan(), x) - target.Evaluate(x), 2);
        Assert.Equal(Math.Sqrt(sum / xs.Length), unit.FitError, 12);
        Assert.InRange(unit.FitError, 0, bound);
        Assert.Equal(init, unit.Init);
    }

    [Fact]
    public void The_default_spline_is_silu_with_zero_spline_coefficients()
    {
        var unit = (SplineUnit)Unit("spline{3,8}");
        Assert.Equal([1.0, .. new double[11]], unit.Initial.ToArray());
        Assert.Equal(0, unit.FitError);
        foreach (double x in Grid(-8, 8, 33)) Assert.Equal(x * Kernels.Sigmoid(x), unit.Evaluate(unit.Initial.AsSpan(), x), 15);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Uniform_B_spline_pieces_are_a_partition_of_unity(int degree)
    {
        Span<double> pieces = stackalloc double[SplineUnit.MaxOrder + 1];
        foreach (double u in Grid(0, 0.999, 37))
        {
            SplineUnit.Pieces(u, degree, pieces);
            double sum = 0;
            for (int r = 0; r <= degree; r++)
            {
                Assert.True(pieces[r] >= 0);
                sum += pieces[r];
            }
            Assert.Equal(1, sum, 12);
        }
    }

    [Fact]
    public void Cubic_spline_pieces_are_the_textbook_ones()
    {
        Span<double> b = stackalloc double[4];
        const double u = 0.3;
        SplineUnit.Pieces(u, 3, b);
        Assert.Equal(Math.Pow(1 - u, 3) / 6, b[0], 14);
        Assert.Equal((3 * u * u * u - 6 * u * u + 4) / 6, b[1], 14);
        Assert.Equal((-3 * u * u * u + 3 * u * u + 3 * u + 1) / 6, b[2], 14);
        Assert.Equal(u * u * u / 6, b[3], 14);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void The_piece_matrix_holds_the_pieces_as_polynomials(int degree)
    {
        var m = SplineUnit.PieceMatrix(degree);
        Span<double> pieces = stackalloc double[SplineUnit.MaxOrder + 1];
        foreach (double u in Grid(0, 0.99, 12))
        {
            SplineUnit.Pieces(u, degree, pieces);
            for (int r = 0; r <= degree; r++)
            {
                double v = 0;
                for (int p = degree; p >= 0; p--) v = v * u + m[r, p];
                Assert.Equal(pieces[r], v, 13);
            }
        }
    }

    [Fact]
    public void Outside_its_extended_grid_a_spline_is_its_silu_residual()
    {
        var unit = (SplineUnit)Unit("spline{2,4,range=1,init=relu}");
        double[] c = [.. unit.Initial];
        c[0] = 0.7;
        double end = 1 + unit.K * unit.Spacing; // the last knot
        foreach (double x in new[] { -end - 1e-9, -10, end + 1e-9, 10 })
            Assert.Equal(0.7 * x * Kernels.Sigmoid(x), unit.Evaluate(c, x), 14);
    }

    [Theory]
    [InlineData("rational{5,4}")]
    [InlineData("rational{3,0,init=gelu}")]
    [InlineData("rational{2,3,coef=[0.1,-0.5,0.3,0.2,-0.7,0.4]}")]
    [InlineData("spline{1,4,init=tanh}")]
    [InlineData("spline{3,8,init=relu}")]
    [InlineData("spline{5,6,range=2,init=gelu}")]
    public void Derivatives_match_central_differences(string spec)
    {
        var unit = Unit(spec);
        var c = unit.Initial.AsSpan();
        // Points off the knots (a spline of degree 1 has kinks there) and off q(x) = 0.
        foreach (double x in Grid(-4.9, 4.9, 97).Select(v => v + 0.0123))
        {
            const double h = 1e-6;
            double numeric = (unit.Evaluate(c, x + h) - unit.Evaluate(c, x - h)) / (2 * h);
            Assert.True(Math.Abs(numeric - unit.Derivative(c, x)) <= 1e-6 * (1 + Math.Abs(numeric)), $"{spec} at {x}: {unit.Derivative(c, x)} vs {numeric}");
        }
    }

    [Fact]
    public void A_spec_is_one_primitive_however_it_is_written()
    {
        var a = PrimitiveRegistry.Default.Get("rational{5,4}");
        Assert.Same(a, PrimitiveRegistry.Default.Get("rational{ 5 , 4 }"));
        Assert.Same(a, PrimitiveRegistry.Default.Get("rational{5,4,init=leaky_relu}"));
        Assert.Same(a, P("rational{5, 4, groups=1}(x)") is Unary u ? u.Op : null);
        Assert.Equal("rational{5,4,groups=8,init=gelu}", PrimitiveRegistry.Default.Get("rational{5, 4, init=gelu, groups=8}").Name);
        Assert.Equal("spline{3,8,range=2}", PrimitiveRegistry.Default.Get("spline{3, 8, range=2.0, init=silu}").Name);
        Assert.Equal(PrimitiveKind.Unary, a.Kind);
        Assert.Same(a.Unit, Unit("rational{5,4}"));
        // Given coefficients are read afresh each time (no cache to fill), and formulas still take them as one unit.
        Assert.Equal(P("rational{1,1,coef=[0,1,0.5]}(x)"), P("rational{1, 1, coef=[0, 1.0, 0.5]}(x)"));
        Assert.NotEqual(P("rational{1,1,coef=[0,1,0.5]}(x)"), P("rational{1,1,coef=[0,1,0.25]}(x)"));
    }

    [Theory]
    [InlineData("rational{5,4}(x)")]
    [InlineData("x * sigmoid(rational{3,2,groups=4,init=gelu}(beta{0.5} * x))")]
    [InlineData("spline{3,8,range=2.5,init=relu}(x) + rational{2,1,coef=[0.1,-0.25,3.5e-7,1e-300]}(x)")]
    public void Units_round_trip_through_text_and_graph_json_bit_for_bit(string text)
    {
        var e = P(text);
        var back = P(e.ToString());
        Assert.Equal(e, back);
        Assert.Equal(e, GraphJson.Deserialize(GraphJson.Serialize(e)));
        var a = e.Nodes().OfType<Unary>().Where(u => u.Op.Unit is not null).Select(u => u.Op.Unit!.Initial).ToList();
        var b = back.Nodes().OfType<Unary>().Where(u => u.Op.Unit is not null).Select(u => u.Op.Unit!.Initial).ToList();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Select(BitConverter.DoubleToInt64Bits), b[i].Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData("rational{0,4}(x)", 10, "numerator degree m of rational{m, n} must be a whole number from 1 to 12, got 0")]
    [InlineData("rational{5,13}(x)", 12, "denominator degree n of rational{m, n} must be a whole number from 0 to 12, got 13")]
    [InlineData("rational{2.5,1}(x)", 10, "whole number")]
    [InlineData("spline{3,0}(x)", 10, "a grid of at least 2 points), got 0")]
    [InlineData("spline{0,8}(x)", 8, "the order k of spline{k, grid} must be a whole number from 1 to 5, got 0")]
    [InlineData("x + rational{5,4,init=swish2}(x)", 23, "unknown init function 'swish2'; known: elu, gelu")]
    [InlineData("spline{3,8,groups=2}(x)", 12, "unknown option 'groups' of spline; use init, range or coef")]
    [InlineData("rational{5,4,range=2}(x)", 14, "unknown option 'range' of rational; use init, groups or coef")]
    [InlineData("rational{5,4,groups=0}(x)", 21, "groups must be a whole number from 1 to 4096, got 0")]
    [InlineData("spline{3,8,range=-1}(x)", 18, "range is the half-width of the grid, a number above 0")]
    [InlineData("rational{2,1,coef=[1,2]}(x)", 9, "rational{2, 1} has 4 coefficients (p0..p2, then q1), got 2")]
    [InlineData("rational{2,1,init=gelu,coef=[1,2,3,4]}(x)", 9, "give either init= or coef=, not both")]
    [InlineData("rational{5,4,init=gelu,init=relu}(x)", 24, "'init' is given twice")]
    [InlineData("rational{5 4}(x)", 12, "expected ','")]
    [InlineData("rational{5,4", 9, "'{' of rational is never closed")]
    [InlineData("rational(x)", 1, "'rational' is a learned unit; write it with its degrees, as rational{5, 4}(x)")]
    [InlineData("2 * spline", 5, "'spline' is a learned unit")]
    [InlineData("spline{3,8}", 1, "call it as spline{3,8}(x)")]
    [InlineData("rational0_p1 * x", 1, "'rational0_p1' is how learned units and their coefficients are named")]
    [InlineData("x * spline2", 5, "'spline2' is how learned units and their coefficients are named")]
    public void Bad_specs_are_reported_with_the_column_and_the_reason(string text, int column, string message)
    {
        var e = Assert.Throws<ExprParseException>(() => P(text));
        Assert.Contains(message, e.Message);
        Assert.Equal(column, e.Column);
    }

    [Fact]
    public void Compiled_graphs_take_the_coefficients_as_parameters_after_the_formulas_own()
    {
        var e = P("beta * rational{2,1,coef=[0,1,0,0.5]}(x) + rational{2,1,coef=[0,1,0,0.5]}(x) + spline{1,2,range=1}(x - 1)");
        var compiled = CompiledExpr.Compile(e);
        Assert.Equal(["beta", "rational0_p0", "rational0_p1", "rational0_p2", "rational0_q1", "spline0_w", "spline0_c0", "spline0_c1", "spline0_c2"],
            compiled.Parameters.Select(p => p.Name));
        Assert.Equal(e.ParametersWithCoefficients().Select(p => p.Name), compiled.Parameters.Select(p => p.Name));
        Assert.Equal(["beta"], e.Parameters().Select(p => p.Name));
        Assert.Equal(1 + 4 + 4, e.ParameterCount());
        // One unit, used twice (equal subgraphs are one computation): moving its coefficients moves both uses.
        double[] values = [2, 0, 1, 0, 0, 1, 0, 0, 0]; // q1 = 0: x; spline0_w = 1, c = 0: silu(x - 1)
        const double x = 0.8;
        Assert.Equal(2 * x + x + (x - 1) * Kernels.Sigmoid(x - 1), compiled.Evaluate(x, values), 14);
        double at = 0.5 * Math.Abs(x);
        Assert.Equal(2 * x / (1 + at) + (x - 1) * Kernels.Sigmoid(x - 1), compiled.Evaluate(x), 14);
    }

    [Fact]
    public void A_unit_of_a_constant_is_a_learnable_number_not_a_folded_constant()
    {
        var e = P("x + rational{1,1,coef=[1,1,1]}(2)");
        Assert.Equal(e, Canonicalizer.Canonicalize(e));
        var compiled = CompiledExpr.Compile(e);
        Assert.False(compiled.IsScalar);
        Assert.Equal(3, compiled.Parameters.Count);
        Assert.Equal(1 + 3.0 / 3, compiled.Evaluate(1.0), 14);
        Assert.Equal(1 + 4.0 / 5, compiled.Evaluate(1.0, [2, 1, 2]), 14); // (2 + 2) / (1 + |2 * 2|)
    }

    [Fact]
    public void Forward_mode_derivatives_go_through_units()
    {
        var compiled = CompiledExpr.Compile(P("rational{3,2,init=gelu}(2 * x) * spline{3,8,init=relu}(x)"));
        double[] xs = [.. Grid(-3.3, 3.3, 23)];
        var y = new double[xs.Length];
        var dy = new double[xs.Length];
        compiled.EvaluateWithDerivative(xs, y, dy);
        for (int i = 0; i < xs.Length; i++)
        {
            const double h = 1e-6;
            double numeric = (compiled.Evaluate(xs[i] + h) - compiled.Evaluate(xs[i] - h)) / (2 * h);
            Assert.Equal(numeric, dy[i], 5);
            Assert.Equal(compiled.Evaluate(xs[i]), y[i], 14);
        }
    }

    [Fact]
    public void Units_are_named_per_family_in_post_order_and_counted_with_their_groups()
    {
        var e = P("rational{5,4,groups=8}(spline{3,8}(x)) + rational{3,2}(x) + spline{3,8}(x)");
        Assert.Equal(["spline0", "rational0", "rational1"], e.LearnedUnits().Select(u => u.Name));
        Assert.Equal(12 + 80 + 6, e.ParameterCount());
        Assert.Equal(["spline0_w", "spline0_c0"], e.LearnedUnits()[0].Coefficients.Take(2).Select(p => p.Name));
    }

    [Fact]
    public void A_unit_is_not_the_fixed_function_it_starts_as()
    {
        // spline{3,8} starts as silu, rational fitted to identity starts as x: once they train they are other functions.
        Assert.NotEqual(Fingerprint.Of(P("x * sigmoid(x)")), Fingerprint.Of(P("spline{3,8}(x)")));
        Assert.NotEqual(Fingerprint.Of(P("spline{3,8}(x)")), Fingerprint.Of(P("spline{3,16}(x)")));
        // Written differently, the same units compute the same function.
        Assert.Equal(Fingerprint.Of(P("rational{5,4}(x) + spline{3,8}(x)")), Fingerprint.Of(P("spline{3, 8}(x) + rational{5, 4, init=leaky_relu}(x)")));
    }

    [Fact]
    public void With_unit_coefficients_keeps_fitted_or_trained_values_in_the_spec()
    {
        var e = P("rational{2,1,coef=[0,1,0,0]}(x) * spline{1,2,range=1}(x)");
        var values = new Dictionary<string, double>
        {
            ["rational0_p0"] = 0.5, ["rational0_p1"] = 2, ["rational0_p2"] = 0, ["rational0_q1"] = 1,
        };
        var moved = e.WithUnitCoefficients(values);
        Assert.Equal("rational{2,1,coef=[0.5,2,0,1]}(x) * spline{1,2,range=1}(x)", moved.ToString());
        Assert.Equal(CompiledExpr.Compile(e).Evaluate(0.7, [0.5, 2, 0, 1, 1, 0, 0, 0]), CompiledExpr.Compile(moved).Evaluate(0.7), 15);
    }

    [Fact]
    public void Sympy_and_latex_printers_write_units()
    {
        Assert.Equal(@"\operatorname{R}_{5/4}\left(x\right)", LatexPrinter.Print(P("rational{5,4}(x)")));
        Assert.Equal(@"\operatorname{S}_{3,8}\left(x\right)", LatexPrinter.Print(P("spline{3,8}(x)")));
        Assert.Contains("sympy.Abs(", SymPyPrinter.Print(P("rational{5,4}(x)")));
        Assert.Contains("sympy.bspline_basis_set(3, [", SymPyPrinter.Print(P("spline{3,8}(x)")));
    }
}
