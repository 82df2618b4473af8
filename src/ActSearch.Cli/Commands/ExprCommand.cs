using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Expressions;

namespace ActSearch.Cli;

/// <summary>`actsearch expr`: parse, canonicalize and print a formula; evaluate it at points; plot it.</summary>
public sealed class ExprCommand : ICommand
{
    public string Name => "expr";

    public string Usage => """
        expr "<formula>" [--format text|latex|pytorch|torchsharp|json] [--eval "p1,p2,..."] [--plot out.svg] [--layer]
          --format   how to print the canonical form (default text)
          --eval     print f at each point, one per line (a number, nan, inf or -inf); element-wise formulas only
          --plot     write f(x) and f'(x) on [-5, 5] as an SVG file
          --layer    parameters are per channel (normalization-activation layers)
        """;

    public Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        string format = args.Choice("--format", "text", "text", "latex", "pytorch", "torchsharp", "json");
        string? eval = args.Option("--eval");
        string? plot = args.Option("--plot");
        bool layer = args.Flag("--layer");
        string text = args.Positionals(1, 1, "the formula (quote it: actsearch expr \"x * sigmoid(x)\")")[0];

        var options = new ParseOptions { DefaultParameterShape = layer ? ParameterShape.PerChannel : ParameterShape.Scalar };
        var expr = ParseFormula(text, options);
        var canonical = Canonicalizer.Canonicalize(expr);

        if (eval is not null)
        {
            if (canonical.HasAggregates()) throw new UsageException("--eval needs an element-wise formula; this one has tensor statistics.");
            var points = ParsePoints(eval);
            var compiled = CompiledExpr.Compile(expr);
            foreach (double y in compiled.Evaluate(points)) stdout.WriteLine(FormatValue(y));
        }
        else
        {
            stdout.WriteLine(format switch
            {
                "latex" => LatexPrinter.Print(canonical),
                "pytorch" => ModulePrinter.PyTorch(canonical).TrimEnd(),
                "torchsharp" => ModulePrinter.TorchSharp(canonical).TrimEnd(),
                "json" => Describe(text, expr, canonical, options).ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
                _ => TextPrinter.Print(canonical, options.DefaultParameterShape),
            });
        }

        if (plot is not null)
        {
            if (canonical.HasAggregates()) throw new UsageException("--plot needs an element-wise formula; this one has tensor statistics.");
            try
            {
                File.WriteAllText(plot, SvgPlot.Curve(expr));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write {plot}: {e.Message}");
            }
        }
        return Task.FromResult(CliApp.Ok);
    }

    /// <summary>Parses a formula given on the command line; errors point at the column.</summary>
    public static Expr ParseFormula(string text, ParseOptions? options = null)
    {
        try
        {
            return ExprParser.Parse(text, options);
        }
        catch (ExprParseException e)
        {
            throw new UsageException($"formula {e.Message}");
        }
    }

    /// <summary>The JSON description of a formula (also the API's).</summary>
    public static JsonObject Describe(string input, Expr expr, Expr canonical, ParseOptions options) => new()
    {
        ["input"] = input,
        ["canonical"] = TextPrinter.Print(canonical, options.DefaultParameterShape),
        ["fingerprint"] = Fingerprint.Of(expr).ToString(),
        ["kind"] = expr.HasAggregates() ? "layer" : "activation",
        ["complexity"] = canonical.Complexity(),
        ["node_count"] = canonical.NodeCount(),
        ["depth"] = canonical.Depth,
        ["flops"] = canonical.Flops(),
        ["parameters"] = new JsonArray([.. canonical.Parameters().Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["initial"] = p.Initial,
            ["shape"] = p.Shape == ParameterShape.PerChannel ? "channel" : "scalar",
        })]),
        ["parameter_count"] = canonical.ParameterCount(),
        ["learned_units"] = new JsonArray([.. canonical.LearnedUnits().Select(u => (JsonNode)new JsonObject
        {
            ["name"] = u.Name,
            ["spec"] = u.Unit.Spec,
            ["family"] = u.Unit.Family,
            ["description"] = u.Unit.Description,
            ["groups"] = u.Unit.Groups,
            ["parameters"] = u.Unit.ParameterCount,
            ["flops"] = u.Unit.Flops,
            ["init"] = u.Unit.Init,
            ["fit_interval"] = new JsonArray(u.Unit.FitInterval.Lo, u.Unit.FitInterval.Hi),
            ["fit_rms_error"] = double.IsNaN(u.Unit.FitError) ? null : u.Unit.FitError,
            ["coefficients"] = new JsonArray([.. u.Coefficients.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["initial"] = c.Initial })]),
        })]),
        ["latex"] = LatexPrinter.Print(canonical),
        ["graph"] = GraphJson.ToJson(canonical),
    };

    private static double[] ParsePoints(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var points = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out points[i]))
                throw new UsageException($"--eval point {i + 1} ('{parts[i]}') is not a number.");
        }
        return points;
    }

    public static string FormatValue(double y) => double.IsNaN(y) ? "nan" : TextPrinter.FormatNumber(y);
}
