using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

public class PrinterTests
{
    [Theory]
    [InlineData("x * sigmoid(x)", @"x \cdot \sigma\left(x\right)")]
    [InlineData("x / (1 + exp(-x))", @"\frac{x}{1 + e^{-x}}")]
    [InlineData("0.5 * x * (1 + erf(x / sqrt(2)))", @"0.5 \cdot x \cdot \left(1 + \operatorname{erf}\left(\frac{x}{\sqrt{2}}\right)\right)")]
    [InlineData("x * sigmoid(beta * x)", @"x \cdot \sigma\left(\beta \cdot x\right)")]
    [InlineData("(x + 1)^2 + square(x - 1)", @"\left(x + 1\right)^{2} + \left(x - 1\right)^{2}")]
    [InlineData("v1 * x + 1e-5", @"v_{1} \cdot x + 10^{-5}")]
    [InlineData("x / sqrt(group_var(x, 32) + 1e-5)", @"\frac{x}{\sqrt{\sigma^2_{\mathrm{group}}\left(x\right)_{g=32} + 10^{-5}}}")]
    public void Latex_typesets_fractions_functions_and_greek_parameters(string formula, string latex)
    {
        Assert.Equal(latex, LatexPrinter.Print(ExprParser.Parse(formula)));
    }

    [Fact]
    public void PyTorch_module_registers_every_parameter_and_computes_shared_nodes_once()
    {
        var e = ExprParser.Parse("x * sigmoid(beta{1.5} * x) + tanh(x) * tanh(x)");
        string code = ModulePrinter.PyTorch(e);
        Assert.Contains("class Activation(nn.Module):", code);
        Assert.Contains("self.beta = nn.Parameter(torch.tensor(1.5))", code);
        Assert.Contains("torch.sigmoid(", code);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(code, @"torch\.tanh\("));
        Assert.Contains("return t", code);
    }

    [Fact]
    public void PyTorch_layer_module_takes_channels_and_defines_the_aggregate_helper()
    {
        var e = ExprParser.Parse("x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)", new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel });
        string code = ModulePrinter.PyTorch(e);
        Assert.Contains("def __init__(self, num_channels):", code);
        Assert.Contains("self.v1 = nn.Parameter(torch.full((num_channels,), 1.0))", code);
        Assert.Contains("self.v1.view(channel)", code);
        Assert.Contains("def _aggregate(x, axes, stat, groups):", code);
        Assert.Contains("_aggregate(", code);
        Assert.Contains("\"group\", \"var\", 32)", code);
    }

    [Fact]
    public void TorchSharp_module_is_a_registered_module_with_parameters()
    {
        string code = ModulePrinter.TorchSharp(ExprParser.Parse("x * sigmoid(beta * x)"));
        Assert.Contains("public sealed class Activation : nn.Module<Tensor, Tensor>", code);
        Assert.Contains("p_beta = nn.Parameter(torch.tensor(1.0));", code);
        Assert.Contains("RegisterComponents();", code);
        Assert.Contains("public override Tensor forward(Tensor x)", code);
    }

    [Fact]
    public void Graph_json_round_trips_sharing_and_exact_numbers()
    {
        var t = Expr.Call("tanh", new Binary(PrimitiveRegistry.Default.Get("mul"), new Parameter("v0", 0.1 + 0.2, ParameterShape.PerChannel), Expr.X));
        var e = new Binary(PrimitiveRegistry.Default.Get("add"), t, new Binary(PrimitiveRegistry.Default.Get("div"), t, new Constant(double.NegativeInfinity)));
        var back = GraphJson.Deserialize(GraphJson.Serialize(e));
        Assert.Equal(e, back);
        Assert.Same(((Binary)back).Left, ((Binary)((Binary)back).Right).Left);
        Assert.Equal(0.1 + 0.2, ((Parameter)back.Nodes().First(n => n is Parameter)).Initial);
        var layer = ExprParser.Parse("x / sqrt(group_var(x, 16) + 1e-5)");
        Assert.Equal(layer, GraphJson.Deserialize(GraphJson.Serialize(layer)));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"nodes\": [{\"kind\": \"unary\", \"op\": \"tanh\", \"args\": [0]}], \"root\": 0}")]
    [InlineData("{\"nodes\": [{\"kind\": \"input\"}, {\"kind\": \"unary\", \"op\": \"tahn\", \"args\": [0]}], \"root\": 1}")]
    [InlineData("{\"nodes\": [{\"kind\": \"input\"}], \"root\": 5}")]
    [InlineData("{\"nodes\": [{\"kind\": \"constant\", \"value\": \"lots\"}], \"root\": 0}")]
    public void Malformed_graph_json_is_a_format_error(string json)
    {
        Assert.Throws<FormatException>(() => GraphJson.Deserialize(json));
    }
}
