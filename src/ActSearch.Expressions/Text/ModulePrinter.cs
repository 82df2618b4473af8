using System.Globalization;
using System.Text;

namespace ActSearch.Expressions;

/// <summary>
/// Writes a formula as runnable module code: a PyTorch <c>nn.Module</c> or a TorchSharp
/// <c>Module&lt;Tensor, Tensor&gt;</c>, with one learnable parameter per <see cref="Parameter"/> (PySR's
/// exports do the same). The body is one assignment per distinct node, so shared subgraphs run once.
/// </summary>
public static class ModulePrinter
{
    public static string PyTorch(Expr expr, string className = "Activation")
    {
        var parameters = expr.Parameters();
        // Attribute names: a parameter called "lambda" or "training" would not run as self.lambda / self.training.
        var py = PythonNames.Assign(parameters, PythonNames.ModuleMembers);
        string PyName(string name) => py[name];
        bool perChannel = parameters.Any(p => p.Shape == ParameterShape.PerChannel);
        var sb = new StringBuilder();
        sb.AppendLine("import torch");
        sb.AppendLine("from torch import nn");
        sb.AppendLine();
        if (expr.HasAggregates())
        {
            sb.AppendLine("""
                _AXES = {"batch": (0, 2, 3), "layer": (1, 2, 3), "instance": (2, 3)}


                def _aggregate(x, axes, stat, groups):
                    # A statistic of an NCHW (or NC) tensor over axes, broadcast back to x's shape; variance is biased.
                    shape = x.shape
                    if x.dim() == 2:
                        x = x[:, :, None, None]
                    if axes == "group":
                        n, c, h, w = x.shape
                        g = x.reshape(n, groups, c // groups, h, w)
                        dims = (2, 3, 4)
                    else:
                        g, dims = x, _AXES[axes]
                    if stat == "mean":
                        s = g.mean(dim=dims, keepdim=True)
                    elif stat == "m2":
                        s = (g * g).mean(dim=dims, keepdim=True)
                    elif stat == "var":
                        s = g.var(dim=dims, keepdim=True, unbiased=False)
                    else:
                        s = g.var(dim=dims, keepdim=True, unbiased=False).sqrt()
                    return s.expand_as(g).reshape(shape)

                """);
            sb.AppendLine();
        }
        sb.AppendLine($"class {className}(nn.Module):");
        sb.AppendLine($"    \"\"\"f(x) = {expr.ToString().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "'", StringComparison.Ordinal)}\"\"\"");
        sb.AppendLine();
        sb.AppendLine(perChannel ? "    def __init__(self, num_channels):" : "    def __init__(self):");
        sb.AppendLine("        super().__init__()");
        foreach (var p in parameters)
        {
            string init = PyNumber(p.Initial);
            sb.AppendLine(p.Shape == ParameterShape.PerChannel
                ? $"        self.{PyName(p.Name)} = nn.Parameter(torch.full((num_channels,), {init}))"
                : $"        self.{PyName(p.Name)} = nn.Parameter(torch.tensor({init}))");
        }
        if (parameters.Count == 0) sb.AppendLine("        pass");
        sb.AppendLine();
        sb.AppendLine("    def forward(self, x):");
        if (perChannel) sb.AppendLine("        channel = (1, -1) + (1,) * (x.dim() - 2)");
        string result = Body(expr, sb, "        ", "", p => p.Shape == ParameterShape.PerChannel
            ? $"self.{PyName(p.Name)}.view(channel)" : $"self.{PyName(p.Name)}",
            c => $"x.new_tensor({PyNumber(c)})", op => op.PyTorch, g => g.ToString(CultureInfo.InvariantCulture));
        sb.AppendLine($"        return {result}");
        return sb.ToString();
    }

    public static string TorchSharp(Expr expr, string className = "Activation")
    {
        var parameters = expr.Parameters();
        bool perChannel = parameters.Any(p => p.Shape == ParameterShape.PerChannel);
        var sb = new StringBuilder();
        sb.AppendLine("using TorchSharp;");
        sb.AppendLine("using TorchSharp.Modules;");
        sb.AppendLine("using static TorchSharp.torch;");
        sb.AppendLine();
        sb.AppendLine($"/// <summary>f(x) = {System.Security.SecurityElement.Escape(expr.ToString())}</summary>");
        sb.AppendLine($"public sealed class {className} : nn.Module<Tensor, Tensor>");
        sb.AppendLine("{");
        foreach (var p in parameters) sb.AppendLine($"    private readonly Parameter {CsName(p.Name)};");
        if (parameters.Count > 0) sb.AppendLine();
        sb.AppendLine($"    public {className}({(perChannel ? "long numChannels" : "")}) : base(\"{className}\")");
        sb.AppendLine("    {");
        foreach (var p in parameters)
        {
            string init = CsNumber(p.Initial);
            sb.AppendLine(p.Shape == ParameterShape.PerChannel
                ? $"        {CsName(p.Name)} = nn.Parameter(torch.full(new long[] {{ numChannels }}, {init}));"
                : $"        {CsName(p.Name)} = nn.Parameter(torch.tensor({init}));");
        }
        sb.AppendLine("        RegisterComponents();");
        sb.AppendLine("    }");
        sb.AppendLine();
        sb.AppendLine("    public override Tensor forward(Tensor x)");
        sb.AppendLine("    {");
        if (perChannel) sb.AppendLine("        long[] channel = x.dim() == 2 ? new long[] { 1, -1 } : new long[] { 1, -1, 1, 1 };");
        string result = Body(expr, sb, "        ", "var ", p => p.Shape == ParameterShape.PerChannel
            ? $"{CsName(p.Name)}.view(channel)" : CsName(p.Name),
            c => $"torch.tensor({CsNumber(c)}, x.dtype, x.device)", op => op.TorchSharp, g => g.ToString(CultureInfo.InvariantCulture));
        sb.AppendLine($"        return {result};");
        sb.AppendLine("    }");
        if (expr.HasAggregates())
        {
            sb.AppendLine("""

                    // A statistic of an NCHW (or NC) tensor over axes, broadcast back to x's shape; variance is biased.
                    private static Tensor Aggregate(Tensor x, string axes, string stat, long groups)
                    {
                        var shape = x.shape;
                        if (x.dim() == 2) x = x.unsqueeze(-1).unsqueeze(-1);
                        Tensor g = x;
                        long[] dims = axes switch { "batch" => new long[] { 0, 2, 3 }, "layer" => new long[] { 1, 2, 3 }, "instance" => new long[] { 2, 3 }, _ => new long[] { 2, 3, 4 } };
                        if (axes == "group") g = x.reshape(x.shape[0], groups, x.shape[1] / groups, x.shape[2], x.shape[3]);
                        Tensor s = stat switch
                        {
                            "mean" => g.mean(dims, keepdim: true),
                            "m2" => (g * g).mean(dims, keepdim: true),
                            "var" => g.var(dims, unbiased: false, keepdim: true),
                            _ => g.var(dims, unbiased: false, keepdim: true).sqrt(),
                        };
                        return s.expand_as(g).reshape(shape);
                    }
                """.TrimEnd());
        }
        sb.AppendLine("}");
        return sb.ToString();
    }

    // One assignment per distinct node; leaves are inlined. Returns the name of the root's value.
    private static string Body(Expr expr, StringBuilder sb, string indent, string declare, Func<Parameter, string> parameter,
        Func<double, string> constant, Func<Primitive, string> template, Func<int, string> groups)
    {
        var names = new Dictionary<Expr, string>(ReferenceEqualityComparer.Instance);
        int next = 0;
        var root = expr.Share();
        foreach (var n in root.Nodes())
        {
            string value;
            switch (n)
            {
                case Variable:
                    names[n] = "x";
                    continue;
                case Constant c:
                    names[n] = constant(c.Value);
                    continue;
                case Parameter p:
                    names[n] = parameter(p);
                    continue;
                case Unary u:
                    value = Primitive.Fill(template(u.Op), names[u.Arg]);
                    break;
                case Binary b:
                    value = Primitive.Fill(template(b.Op), names[b.Left], names[b.Right]);
                    break;
                case Aggregate a:
                    value = Primitive.Fill(template(a.Op), names[a.Arg], groups(a.Groups));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown node {n.GetType().Name}.");
            }
            string name = $"t{next++}";
            sb.AppendLine($"{indent}{declare}{name} = {value}{(declare.Length > 0 ? ";" : "")}");
            names[n] = name;
        }
        return names[root];
    }

    private static string CsName(string name) => "p_" + name;

    internal static string PyNumber(double v) => double.IsNaN(v) ? "float('nan')" : double.IsInfinity(v)
        ? (v > 0 ? "float('inf')" : "float('-inf')") : EnsureDecimal(TextPrinter.FormatNumber(v));

    private static string CsNumber(double v) => double.IsNaN(v) ? "double.NaN" : double.IsInfinity(v)
        ? (v > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity") : EnsureDecimal(TextPrinter.FormatNumber(v));

    // "2" would be an integer literal: tensors built from it would get an integer dtype.
    private static string EnsureDecimal(string s) => s.Contains('.') || s.Contains('e') ? s : s + ".0";
}
