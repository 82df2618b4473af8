using System.Globalization;
using System.Text;

namespace ActSearch.Expressions;

/// <summary>
/// Writes a formula as runnable module code: a PyTorch <c>nn.Module</c> or a TorchSharp
/// <c>Module&lt;Tensor, Tensor&gt;</c>, with one learnable parameter per <see cref="Parameter"/> (PySR's
/// exports do the same). The body is one assignment per distinct node, so shared subgraphs run once. A learned unit
/// (<c>rational{5,4}</c>, <c>spline{3,8}</c>) is one parameter tensor named as in the graph (<c>rational0</c>: [count], or
/// [groups, count]) at its initial coefficients, and a helper function (<c>_rational</c>, <c>_spline</c>) at the top of the file.
/// </summary>
public static class ModulePrinter
{
    public static string PyTorch(Expr expr, string className = "Activation")
    {
        var parameters = expr.Parameters();
        var units = expr.Share().LearnedUnits();
        // Attribute names: a parameter called "lambda" or "training" would not run as self.lambda / self.training.
        var py = PythonNames.Assign(parameters, Reserved(PythonNames.ModuleMembers, units));
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
        foreach (var family in units.Select(u => u.Unit.Family).Distinct().Order(StringComparer.Ordinal))
        {
            sb.AppendLine(family == "rational" ? PyRational : PySpline);
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
        foreach (var u in units)
        {
            string values = "[" + string.Join(", ", u.Unit.Initial.Select(PyNumber)) + "]";
            sb.AppendLine($"        # {u.Unit.Description}: {string.Join(", ", u.Unit.CoefficientNames)}");
            sb.AppendLine(u.Unit.Groups == 1
                ? $"        self.{u.Name} = nn.Parameter(torch.tensor({values}))"
                : $"        self.{u.Name} = nn.Parameter(torch.tensor({values}).repeat({u.Unit.Groups}, 1))");
        }
        if (parameters.Count == 0 && units.Count == 0) sb.AppendLine("        pass");
        sb.AppendLine();
        sb.AppendLine("    def forward(self, x):");
        if (perChannel) sb.AppendLine("        channel = (1, -1) + (1,) * (x.dim() - 2)");
        string result = Body(expr, sb, "        ", "", p => p.Shape == ParameterShape.PerChannel
            ? $"self.{PyName(p.Name)}.view(channel)" : $"self.{PyName(p.Name)}",
            c => $"x.new_tensor({PyNumber(c)})", op => op.PyTorch, g => g.ToString(CultureInfo.InvariantCulture), unit => $"self.{unit}");
        sb.AppendLine($"        return {result}");
        return sb.ToString();
    }

    public static string TorchSharp(Expr expr, string className = "Activation")
    {
        var parameters = expr.Parameters();
        var units = expr.Share().LearnedUnits();
        bool perChannel = parameters.Any(p => p.Shape == ParameterShape.PerChannel);
        var sb = new StringBuilder();
        if (units.Count > 0)
        {
            sb.AppendLine("using System;");
            sb.AppendLine("using System.Collections.Generic;");
        }
        sb.AppendLine("using TorchSharp;");
        sb.AppendLine("using TorchSharp.Modules;");
        sb.AppendLine("using static TorchSharp.torch;");
        sb.AppendLine();
        sb.AppendLine($"/// <summary>f(x) = {System.Security.SecurityElement.Escape(expr.ToString())}</summary>");
        sb.AppendLine($"public sealed class {className} : nn.Module<Tensor, Tensor>");
        sb.AppendLine("{");
        foreach (var p in parameters) sb.AppendLine($"    private readonly Parameter {CsName(p.Name)};");
        foreach (var u in units) sb.AppendLine($"    private readonly Parameter {u.Name}; // {u.Unit.Description}: {string.Join(", ", u.Unit.CoefficientNames)}");
        if (parameters.Count + units.Count > 0) sb.AppendLine();
        sb.AppendLine($"    public {className}({(perChannel ? "long numChannels" : "")}) : base(\"{className}\")");
        sb.AppendLine("    {");
        foreach (var p in parameters)
        {
            string init = CsNumber(p.Initial);
            sb.AppendLine(p.Shape == ParameterShape.PerChannel
                ? $"        {CsName(p.Name)} = nn.Parameter(torch.full(new long[] {{ numChannels }}, {init}));"
                : $"        {CsName(p.Name)} = nn.Parameter(torch.tensor({init}));");
        }
        foreach (var u in units)
        {
            string values = "new double[] { " + string.Join(", ", u.Unit.Initial.Select(CsNumber)) + " }";
            sb.AppendLine(u.Unit.Groups == 1
                ? $"        {u.Name} = nn.Parameter(torch.tensor({values}, ScalarType.Float32));"
                : $"        {u.Name} = nn.Parameter(torch.tensor({values}, ScalarType.Float32).repeat({u.Unit.Groups}, 1));");
        }
        sb.AppendLine("        RegisterComponents();");
        sb.AppendLine("    }");
        sb.AppendLine();
        sb.AppendLine("    public override Tensor forward(Tensor x)");
        sb.AppendLine("    {");
        if (perChannel) sb.AppendLine("        long[] channel = x.dim() == 2 ? new long[] { 1, -1 } : new long[] { 1, -1, 1, 1 };");
        string result = Body(expr, sb, "        ", "var ", p => p.Shape == ParameterShape.PerChannel
            ? $"{CsName(p.Name)}.view(channel)" : CsName(p.Name),
            c => $"torch.tensor({CsNumber(c)}, x.dtype, x.device)", op => op.TorchSharp, g => g.ToString(CultureInfo.InvariantCulture), unit => unit);
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
        if (units.Count > 0) sb.AppendLine(CsUnits.TrimEnd());
        sb.AppendLine("}");
        return sb.ToString();
    }

    // One assignment per distinct node; leaves are inlined. Returns the name of the root's value.
    private static string Body(Expr expr, StringBuilder sb, string indent, string declare, Func<Parameter, string> parameter,
        Func<double, string> constant, Func<Primitive, string> template, Func<int, string> groups, Func<string, string> unitCoefficients)
    {
        var names = new Dictionary<Expr, string>(ReferenceEqualityComparer.Instance);
        int next = 0;
        var root = expr.Share();
        var units = root.LearnedUnits().ToDictionary(u => (Expr)u.Node, u => u.Name);
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
                case Unary { Op.Unit: not null } u:
                    value = Primitive.Fill(template(u.Op), names[u.Arg], unitCoefficients(units[u]));
                    break;
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

    private static IReadOnlySet<string> Reserved(IReadOnlySet<string> reserved, IReadOnlyList<LearnedNode> units) =>
        units.Count == 0 ? reserved : new HashSet<string>([.. reserved, .. units.Select(u => u.Name)], StringComparer.Ordinal);

    // The learned units' helpers of the exports: the same arithmetic as ActSearch's TorchSharp lowering (LearnedUnitOps).
    private const string PyCoefficients = """
        def _coefficients(c, x):
            # One coefficient set ([count]), or one per channel group ([groups, count]) spread over x's channels (KAT).
            if c.dim() == 1:
                return [c[i] for i in range(c.shape[0])]
            per_channel = c.repeat_interleave(x.shape[1] // c.shape[0], dim=0)
            shape = (1, -1) + (1,) * (x.dim() - 2)
            return [per_channel[:, i].view(shape) for i in range(c.shape[1])]

        """;

    private const string PyRational = PyCoefficients + """

        def _rational(x, c, m, n):
            # Safe Pade activation unit P(x) / (1 + |Q(x)|); c = [p0..pm, q1..qn] (Molina et al. 2020).
            c = _coefficients(c, x)
            p = c[m] * x + c[m - 1]
            for i in range(m - 2, -1, -1):
                p = p * x + c[i]
            if n == 0:
                return p
            q = c[m + n] * x
            for j in range(n - 1, 0, -1):
                q = (q + c[m + j]) * x
            return p / (torch.abs(q) + 1)

        """;

    private const string PySpline = """
        def _spline(x, c, k, grid, half_width):
            # KAN's activation: c[0] * silu(x) + sum_i c[1 + i] B_i(x), B-splines of degree k on grid intervals over
            # [-half_width, half_width] extended by k knots on each side; 0 spline part outside (Liu et al. 2024).
            h = 2 * half_width / grid
            s = (x - (-half_width - k * h)) / h
            with torch.no_grad():
                j = torch.floor(s)
                inside = (s >= 0) & (j < grid + 2 * k)
                index = torch.where(inside, j, torch.zeros_like(j)).long()
            u = s - j
            zeros = c.new_zeros(k)
            padded = torch.cat([zeros, c[1:], zeros])
            pieces = [torch.ones_like(u)]
            for d in range(1, k + 1):
                pieces = [((u + d - r) * pieces[r - 1] if r > 0 else 0) + ((r + 1 - u) * pieces[r] if r < d else 0) for r in range(d + 1)]
                pieces = [p / d for p in pieces]
            total = sum(torch.take(padded, index + r) * pieces[r] for r in range(k + 1))
            return c[0] * torch.nn.functional.silu(x) + torch.where(inside, total, torch.zeros_like(total))

        """;

    private const string CsUnits = """

            // One coefficient set ([count]), or one per channel group ([groups, count]) spread over x's channels (KAT).
            private static Func<int, Tensor> Coefficients(Tensor c, Tensor x)
            {
                if (c.dim() == 1) return i => c[i];
                var perChannel = c.repeat_interleave(x.shape[1] / c.shape[0], dim: 0);
                var shape = new long[x.dim()];
                Array.Fill(shape, 1L);
                shape[1] = x.shape[1];
                return i => perChannel[TensorIndex.Colon, i].view(shape);
            }

            // Safe Pade activation unit P(x) / (1 + |Q(x)|); coefficients p0..pm, q1..qn (Molina et al. 2020).
            private static Tensor Rational(Tensor x, Tensor coefficients, int m, int n)
            {
                var c = Coefficients(coefficients.to(x.dtype), x);
                var p = c(m) * x + c(m - 1);
                for (int i = m - 2; i >= 0; i--) p = p * x + c(i);
                if (n == 0) return p;
                var q = c(m + n) * x;
                for (int j = n - 1; j >= 1; j--) q = (q + c(m + j)) * x;
                return p / (q.abs() + 1);
            }

            // KAN's activation: c[0] * silu(x) + sum_i c[1 + i] B_i(x), B-splines of degree k on grid intervals over
            // [-halfWidth, halfWidth] extended by k knots on each side; 0 spline part outside (Liu et al. 2024).
            private static Tensor Spline(Tensor x, Tensor coefficients, int k, int grid, double halfWidth)
            {
                var c = coefficients.to(x.dtype);
                double h = 2 * halfWidth / grid;
                var s = (x - (-halfWidth - k * h)) / h;
                Tensor j, inside, index;
                using (torch.no_grad())
                {
                    j = s.floor();
                    inside = s.ge(0).logical_and(j.lt(grid + 2 * k));
                    index = torch.where(inside, j, torch.zeros_like(j)).to(ScalarType.Int64);
                }
                var u = s - j;
                var zeros = c.new_zeros(k);
                var padded = torch.cat(new[] { zeros, c[TensorIndex.Slice(1)], zeros });
                var pieces = new List<Tensor> { torch.ones_like(u) };
                for (int d = 1; d <= k; d++)
                {
                    var next = new List<Tensor>();
                    for (int r = 0; r <= d; r++)
                    {
                        var term = torch.zeros_like(u);
                        if (r > 0) term = term + (u + (d - r)) * pieces[r - 1];
                        if (r < d) term = term + ((r + 1) - u) * pieces[r];
                        next.Add(term / d);
                    }
                    pieces = next;
                }
                var total = torch.zeros_like(u);
                for (int r = 0; r <= k; r++) total = total + padded.take(index + r) * pieces[r];
                return c[0] * torch.nn.functional.silu(x) + torch.where(inside, total, torch.zeros_like(total));
            }
        """;

    internal static string PyNumber(double v) => double.IsNaN(v) ? "float('nan')" : double.IsInfinity(v)
        ? (v > 0 ? "float('inf')" : "float('-inf')") : EnsureDecimal(TextPrinter.FormatNumber(v));

    private static string CsNumber(double v) => double.IsNaN(v) ? "double.NaN" : double.IsInfinity(v)
        ? (v > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity") : EnsureDecimal(TextPrinter.FormatNumber(v));

    // "2" would be an integer literal: tensors built from it would get an integer dtype.
    private static string EnsureDecimal(string s) => s.Contains('.') || s.Contains('e') ? s : s + ".0";
}
