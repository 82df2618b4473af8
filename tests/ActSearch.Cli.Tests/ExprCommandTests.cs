using System.Text.Json.Nodes;

namespace ActSearch.Cli.Tests;

public class ExprCommandTests
{
    [Fact]
    public void Expr_prints_the_canonical_form()
    {
        var (code, output, _) = CliRunner.Run("expr", "sigmoid(x) * x + 0");
        Assert.Equal(0, code);
        Assert.Equal("x * sigmoid(x)", output.Trim());
    }

    [Fact]
    public void Json_carries_canonical_fingerprint_complexity_and_flops()
    {
        var (code, output, _) = CliRunner.Run("expr", "x / (1 + exp(-x))", "--format", "json");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("x / (exp(-x) + 1)", (string?)json["canonical"]);
        Assert.Equal(7, (int)json["complexity"]!); // div, x, add, exp, neg, x, 1
        Assert.Equal(13, (double)json["flops"]!); // div 1 + add 1 + exp 10 + neg 1
        var swish = JsonNode.Parse(CliRunner.Run("expr", "x * sigmoid(x)", "--format", "json").Out)!;
        Assert.Equal((string?)swish["fingerprint"], (string?)json["fingerprint"]); // the same function
        Assert.Equal("activation", (string?)json["kind"]);
    }

    [Fact]
    public void Json_lists_learned_units_with_their_coefficients_cost_and_fit_error()
    {
        var (code, output, _) = CliRunner.Run("expr", "beta * rational{3, 2, init=gelu, groups=4}(x)", "--format", "json");
        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("beta * rational{3,2,groups=4,init=gelu}(x)", (string?)json["canonical"]);
        Assert.Equal(1 + 4 * 6, (int)json["parameter_count"]!);
        var unit = json["learned_units"]!.AsArray().Single()!;
        Assert.Equal("rational0", (string?)unit["name"]);
        Assert.Equal("gelu", (string?)unit["init"]);
        Assert.Equal(24, (int)unit["parameters"]!);
        Assert.Equal(2 * 3 + 2 * 2 + 3, (double)unit["flops"]!);
        Assert.InRange((double)unit["fit_rms_error"]!, 1e-9, 0.02);
        Assert.Equal(["rational0_p0", "rational0_p1", "rational0_p2", "rational0_p3", "rational0_q1", "rational0_q2"],
            unit["coefficients"]!.AsArray().Select(c => (string)c!["name"]!));
    }

    [Fact]
    public void A_malformed_learned_unit_is_a_usage_error_naming_the_column()
    {
        var (code, _, error) = CliRunner.Run("expr", "x + spline{3, 0}(x)");
        Assert.Equal(2, code);
        Assert.Contains("column 15: the grid of spline{k, grid} is its number of intervals", error);
    }

    [Fact]
    public void Eval_prints_one_value_per_point_with_nan_for_undefined_ones()
    {
        var (code, output, _) = CliRunner.Run("expr", "log(x)", "--eval", "1, 0, -1, 2.718281828459045");
        Assert.Equal(0, code);
        Assert.Equal(["0", "-inf", "nan", "1"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Theory]
    [InlineData("latex", @"x \cdot \sigma\left(\beta \cdot x\right)")]
    [InlineData("pytorch", "self.beta = nn.Parameter(torch.tensor(1.0))")]
    [InlineData("torchsharp", "public sealed class Activation : nn.Module<Tensor, Tensor>")]
    public void Formats_print_latex_and_module_code(string format, string fragment)
    {
        var (code, output, _) = CliRunner.Run("expr", "x * sigmoid(beta * x)", "--format", format);
        Assert.Equal(0, code);
        Assert.Contains(fragment, output);
    }

    [Fact]
    public void Plot_writes_an_svg_with_f_and_its_derivative()
    {
        string path = Path.Combine(Path.GetTempPath(), $"actsearch-plot-{Guid.NewGuid():N}.svg");
        try
        {
            var (code, _, _) = CliRunner.Run("expr", "x * sigmoid(x)", "--plot", path);
            Assert.Equal(0, code);
            string svg = File.ReadAllText(path);
            Assert.StartsWith("<svg", svg);
            Assert.Contains("class=\"f\"", svg);
            Assert.Contains("class=\"df\"", svg);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new[] { "expr", "x * (1 + " }, "column 10")]
    [InlineData(new[] { "expr", "tanhh(x)" }, "did you mean 'tanh'")]
    [InlineData(new[] { "expr", "x", "--format", "yaml" }, "must be one of")]
    [InlineData(new[] { "expr", "x", "--evl", "1" }, "unknown option '--evl'")]
    [InlineData(new[] { "expr" }, "missing the formula")]
    [InlineData(new[] { "expr", "x", "--eval", "1,two" }, "point 2 ('two') is not a number")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    public void User_errors_exit_2_with_one_line_naming_the_problem(string[] args, string fragment)
    {
        var (code, output, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(fragment, error, StringComparison.OrdinalIgnoreCase);
    }
}
