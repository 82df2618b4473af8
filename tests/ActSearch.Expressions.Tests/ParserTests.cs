using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

public class ParserTests
{
    public static readonly string[] Anchors =
    [
        "x * sigmoid(x)",
        "max(x, 0)",
        "relu(x)",
        "0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x^3)))",
        "0.5 * x * (1 + erf(x / sqrt(2)))",
        "x * tanh(softplus(x))",
        "x * sigmoid(beta * x)",
        "x / max(sqrt(batch_var(x) + 1e-5), v1 * x + sqrt(instance_var(x) + 1e-5))",
        "x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)",
    ];

    public static TheoryData<string> IssueFormulas => new(Anchors);

    [Theory]
    [MemberData(nameof(IssueFormulas))]
    public void Anchor_formulas_parse_and_print_back_exactly_as_written(string formula)
    {
        var e = ExprParser.Parse(formula);
        Assert.Equal(formula, e.ToString());
        Assert.Equal(e, ExprParser.Parse(e.ToString()));
    }

    [Fact]
    public void Unknown_identifiers_are_learnable_parameters_with_initial_value_one()
    {
        var e = ExprParser.Parse("x * sigmoid(beta * x)");
        var p = Assert.Single(e.Parameters());
        Assert.Equal("beta", p.Name);
        Assert.Equal(1.0, p.Initial);
        Assert.Equal(ParameterShape.Scalar, p.Shape);
    }

    [Fact]
    public void A_parameter_declaration_sets_initial_value_and_shape_for_every_use()
    {
        var e = ExprParser.Parse("v0 + x * v0{0, channel}");
        var p = Assert.Single(e.Parameters());
        Assert.Equal(0.0, p.Initial);
        Assert.Equal(ParameterShape.PerChannel, p.Shape);
        Assert.Equal("v0{0, channel} + x * v0{0, channel}", e.ToString());
    }

    [Fact]
    public void Layer_spaces_make_bare_parameters_per_channel()
    {
        var e = ExprParser.Parse("x * sigmoid(v1 * x)", new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel });
        Assert.Equal(ParameterShape.PerChannel, Assert.Single(e.Parameters()).Shape);
    }

    [Fact]
    public void Uses_of_one_parameter_are_one_shared_node()
    {
        var e = (Binary)ExprParser.Parse("beta * x + beta");
        Assert.Same(((Binary)e.Left).Left, e.Right);
    }

    [Theory]
    [InlineData("-x^2", "neg(pow(x, 2))")]
    [InlineData("2^3^2", "pow(2, pow(3, 2))")]
    [InlineData("x - 1 - 2", "sub(sub(x, 1), 2)")]
    [InlineData("x / 2 * 3", "mul(div(x, 2), 3)")]
    [InlineData("-2 * x", "mul(-2, x)")]
    [InlineData("x^-1", "pow(x, -1)")]
    [InlineData("-(2)", "neg(2)")]
    [InlineData("--x", "neg(neg(x))")]
    [InlineData("2e-3 * pi", "mul(0.002, 3.141592653589793)")]
    public void Operators_follow_the_usual_precedence_and_associativity(string text, string prefix)
    {
        Assert.Equal(prefix, Prefix(ExprParser.Parse(text)));
    }

    private static string Prefix(Expr e) => e switch
    {
        Variable => "x",
        Constant c => TextPrinter.FormatNumber(c.Value),
        Parameter p => p.Name,
        Unary u => $"{u.Op.Name}({Prefix(u.Arg)})",
        Binary b => $"{b.Op.Name}({Prefix(b.Left)}, {Prefix(b.Right)})",
        Aggregate a => $"{a.Op.Name}({Prefix(a.Arg)})",
        _ => "?",
    };

    [Theory]
    [InlineData("x +", 4, "operand is missing")]
    [InlineData("x * (1 + x", 11, "expected ')'")]
    [InlineData("tanhh(x)", 1, "did you mean 'tanh'")]
    [InlineData("x $ 2", 3, "unexpected character '$'")]
    [InlineData("sigmoid(x, x)", 1, "takes 1 argument")]
    [InlineData("max(x)", 1, "takes 2 arguments")]
    [InlineData("group_var(x, 2.5)", 14, "whole number")]
    [InlineData("x)", 2, "unmatched ')'")]
    [InlineData("tanh", 1, "call it as tanh(x)")]
    [InlineData("", 1, "empty formula")]
    [InlineData("beta{2} * x + beta{3}", 15, "declared differently")]
    [InlineData("1e999 * x", 1, "out of range")]
    [InlineData("x(2)", 1, "'x' is the input")]
    public void Errors_name_the_column_and_the_problem(string text, int column, string fragment)
    {
        var error = Assert.Throws<ExprParseException>(() => ExprParser.Parse(text));
        Assert.Equal(column, error.Column);
        Assert.Contains($"column {column}:", error.Message);
        Assert.Contains(fragment, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Hundred_thousand_nested_parentheses_give_an_error_not_a_stack_overflow()
    {
        string deep = new string('(', 100_000) + "x" + new string(')', 100_000);
        var error = Assert.Throws<ExprParseException>(() => ExprParser.Parse(deep));
        Assert.Contains("longer than", error.Message);

        var options = new ParseOptions { MaxLength = 1_000_000 };
        error = Assert.Throws<ExprParseException>(() => ExprParser.Parse(deep, options));
        Assert.Contains("nested deeper than 256", error.Message);
        Assert.Equal(257, error.Column);
    }

    [Fact]
    public void Long_flat_chains_are_limited_by_the_depth_of_the_resulting_graph()
    {
        string chain = string.Join(" + ", Enumerable.Repeat("x", 1000));
        var error = Assert.Throws<ExprParseException>(() => ExprParser.Parse(chain));
        Assert.Contains("nested deeper", error.Message);
    }

    [Fact]
    public void Ten_thousand_malformed_formulas_never_crash_and_always_name_a_position()
    {
        var rng = new Random(20261128);
        string[] seeds = Anchors;
        const string alphabet = "x+-*/^(),{}.0123456789e abcsigmoidtanh_$#\t\n\u00e9";
        int parsed = 0;
        for (int i = 0; i < 10_000; i++)
        {
            var chars = seeds[rng.Next(seeds.Length)].ToCharArray().ToList();
            int edits = 1 + rng.Next(4);
            for (int k = 0; k < edits; k++)
            {
                int at = rng.Next(chars.Count + 1);
                switch (rng.Next(3))
                {
                    case 0 when chars.Count > 0: chars.RemoveAt(Math.Min(at, chars.Count - 1)); break;
                    case 1: chars.Insert(at, alphabet[rng.Next(alphabet.Length)]); break;
                    default: if (chars.Count > 0) chars[Math.Min(at, chars.Count - 1)] = alphabet[rng.Next(alphabet.Length)]; break;
                }
            }
            string text = new(chars.ToArray());
            if (ExprParser.TryParse(text, out var e, out var error))
            {
                parsed++;
                Assert.Equal(e, ExprParser.Parse(e!.ToString())); // whatever parses also round-trips
            }
            else
            {
                Assert.InRange(error!.Column, 1, text.Length + 1);
                Assert.StartsWith($"column {error.Column}: ", error.Message);
            }
        }
        Assert.InRange(parsed, 1, 9_999); // both paths were exercised
    }
}
