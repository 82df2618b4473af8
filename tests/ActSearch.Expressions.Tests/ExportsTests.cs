namespace ActSearch.Expressions.Tests;

public class ExportsTests
{
    private static readonly Expr Swish = ExprParser.Parse("x * sigmoid(beta * x)");

    [Theory]
    [InlineData("pytorch", ExportFormat.PyTorch)]
    [InlineData("PyTorch", ExportFormat.PyTorch)]
    [InlineData("torchsharp", ExportFormat.TorchSharp)]
    [InlineData("latex", ExportFormat.Latex)]
    [InlineData(" sympy ", ExportFormat.SymPy)]
    public void Format_names_parse_in_any_case(string text, ExportFormat format)
    {
        Assert.True(Exports.TryParseFormat(text, out var parsed));
        Assert.Equal(format, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("onnx")]
    public void Unknown_format_names_are_refused(string? text)
    {
        Assert.False(Exports.TryParseFormat(text, out _));
    }

    [Fact]
    public void Every_format_has_a_name_that_parses_back()
    {
        Assert.Equal(Enum.GetValues<ExportFormat>(), Exports.Formats.Select(f => f.Format));
        foreach (var (name, format) in Exports.Formats)
        {
            Assert.Equal(name, Exports.FormatName(format));
            Assert.True(Exports.TryParseFormat(name, out var back));
            Assert.Equal(format, back);
        }
    }

    [Fact]
    public void Render_dispatches_to_the_printers_with_the_class_name()
    {
        Assert.Equal(LatexPrinter.Print(Swish), Exports.Render(Swish, ExportFormat.Latex));
        Assert.Contains("class Swish(nn.Module):", Exports.Render(Swish, ExportFormat.PyTorch, "Swish"));
        Assert.Contains("public sealed class Swish : nn.Module<Tensor, Tensor>", Exports.Render(Swish, ExportFormat.TorchSharp, "Swish"));
        Assert.Contains("f = x * (1/(1 + sympy.exp(-(beta * x))))", Exports.Render(Swish, ExportFormat.SymPy));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2Fast")]
    [InlineData("My Activation")]
    [InlineData("<script>")]
    public void Module_exports_refuse_a_class_name_that_is_not_an_identifier(string name)
    {
        Assert.Throws<ArgumentException>(() => Exports.Render(Swish, ExportFormat.PyTorch, name));
    }

    [Theory]
    [InlineData("x * 2 / 3", "x * 2 / 3")]
    [InlineData("x / (2 * x)", "x / (2 * x)")]
    [InlineData("(x + 1)^2", "(x + 1)**2")]
    [InlineData("-x^2", "-x**2")]
    [InlineData("(-x)^2", "(-x)**2")]
    [InlineData("x - (x - 1)", "x - (x - 1)")]
    [InlineData("x^-2", "x**-2")]
    [InlineData("2 / 3 * x", "sympy.Integer(2) / sympy.Integer(3) * x")]
    [InlineData("x + -2", "x + -2")]
    [InlineData("(-2)^x", "(-2)**x")]
    [InlineData("square(x + 1)", "(x + 1)**2")]
    [InlineData("exp(x + 1)", "sympy.exp(x + 1)")]
    [InlineData("pdiv(x, x + 1)", "sympy.Piecewise((1, sympy.Eq((x + 1), 0)), (x / (x + 1), True))")]
    public void SymPy_brackets_only_where_python_needs_them(string formula, string f)
    {
        Assert.Contains($"\nf = {f}\n", Exports.Render(ExprParser.Parse(formula), ExportFormat.SymPy));
    }

    [Fact]
    public void SymPy_group_statistics_take_the_group_count()
    {
        var e = ExprParser.Parse("x / sqrt(group_var(x, 8) + 1e-5)", new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel });
        string code = Exports.Render(e, ExportFormat.SymPy);
        Assert.Contains("group_var = sympy.Function(\"group_var\")  # variance (biased)", code);
        Assert.Contains("f = x / sympy.sqrt(group_var(x, 8) + 1e-5)", code);
    }
}
