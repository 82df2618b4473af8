using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ActSearch.Expressions.Tests;

/// <summary>
/// The formulas whose exports are run by Debian's Python (PyTorch and SymPy), and how our own evaluator
/// computes them on the probe inputs for comparison.
/// </summary>
internal static class ExportCases
{
    public sealed record Case(string Name, Expr Expr, bool Layer)
    {
        public override string ToString() => Name;
    }

    private static readonly ParseOptions LayerOptions = new() { DefaultParameterShape = ParameterShape.PerChannel };

    public static IReadOnlyList<Case> Scalar { get; } = BuildScalar();

    public static IReadOnlyList<Case> Layers { get; } =
    [
        new("evonorm-b0", ExprParser.Parse("x / max(sqrt(batch_var(x) + 1e-5), v1 * x + sqrt(instance_var(x) + 1e-5))", LayerOptions), true),
        // EvoNorm-S0 with its per-channel affine transform (gamma, beta), as the paper writes the layer.
        new("evonorm-s0", ExprParser.Parse("x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5) * gamma + beta{0}", LayerOptions), true),
        new("every-aggregate", EveryAggregate(), true),
        // KAT's group-rational unit: 8 coefficient sets over the 64 channels, every set starting at the same fit.
        new("group-rational", ExprParser.Parse("gamma * rational{5,4,groups=8}(x / sqrt(instance_var(x) + 1e-5)) + beta{0}", LayerOptions), true),
    ];

    public static IReadOnlyList<Case> All { get; } = [.. Scalar, .. Layers];

    public static Case Get(string name) => All.Single(c => c.Name == name);

    private static List<Case> BuildScalar()
    {
        var cases = new List<Case>
        {
            new("swish", ExprParser.Parse("x * sigmoid(beta{1.5} * x)"), false),
            new("gelu-erf", ExprParser.Parse("0.5 * x * (1 + erf(x / sqrt(2)))"), false),
            new("mish", ExprParser.Parse("x * tanh(softplus(x))"), false),
            new("pdiv", ExprParser.Parse("pdiv(sin(x), x - 0.3)"), false), // divides by 0 at the grid point 0.3
            new("pow-parameter", ExprParser.Parse("pow(abs(x) + 1, beta{0.5})"), false),
            new("pow-integer", ExprParser.Parse("x^3 - 2 * x^2"), false),
            new("pow-fraction", ExprParser.Parse("pow(x, 0.5)"), false), // NaN below 0 in both
            new("binary", ExprParser.Parse("max(x, sin(x)) - min(x, 0.5) + x / (x * x + 1)"), false),
            new("constants", ExprParser.Parse("x * 2 / 3 + pdiv(1, 0) - 2^0.5 + -(-x)"), false),
            new("python-keywords", ExprParser.Parse("lambda * x + training{0.5} * relu(x) + forward{-1} * tanh(x)"), false),
            new("every-unary", EveryUnary(), false),
            // Learned units at their initial coefficients: a PAU fitted to leaky ReLU, a KAN spline fitted to ReLU (its
            // SiLU residual and every piece of the grid, the probe's large inputs outside it), and both inside a formula.
            new("rational", ExprParser.Parse("rational{5,4}(x)"), false),
            new("spline", ExprParser.Parse("spline{3,8,init=relu}(x)"), false),
            new("learned-units", ExprParser.Parse("x * sigmoid(rational{3,2,init=gelu}(x)) + spline{2,5,range=2,init=tanh}(beta{0.5} * x) + rational{2,0,coef=[0,1,0.5]}(2)"), false),
        };
        foreach (var op in PrimitiveRegistry.Default.Unary)
            cases.Add(new($"unary-{op.Name}", Expr.Call(op, Expr.X), false));
        return cases;
    }

    // Every unary primitive once, each on an argument that keeps it finite and of moderate size on the probe,
    // so that no term drowns the others.
    private static Expr EveryUnary()
    {
        Expr tenth = Expr.Call("mul", Expr.Const(0.1), Expr.X);
        Expr shifted = Expr.Call("add", Expr.Call("abs", Expr.X), Expr.Const(1));
        Expr sum = Expr.X;
        foreach (var op in PrimitiveRegistry.Default.Unary)
        {
            Expr arg = op.Name switch
            {
                "square" or "cube" or "exp" or "sinh" => tenth,
                "sqrt" or "log" => shifted,
                "slog" => Expr.Call("add", Expr.X, Expr.Const(0.15)),
                _ => Expr.X,
            };
            sum = Expr.Call("add", sum, Expr.Call(op, arg));
        }
        return sum;
    }

    private static Expr EveryAggregate()
    {
        Expr sum = Expr.Call("mul", new Parameter("v0", 1, ParameterShape.PerChannel), Expr.X);
        foreach (var op in PrimitiveRegistry.Default.Aggregates)
            sum = Expr.Call("add", sum, new Aggregate(op, Expr.X, op.Axes == AggregateAxes.Group ? 8 : 0));
        return sum;
    }

    /// <summary>The probe input of a case: the scalar probe grid, or an NCHW tensor for layers.</summary>
    public static (double[] X, int[] Shape) Input(Case c) => c.Layer
        ? ([.. Fingerprint.LayerProbe], [Fingerprint.LayerProbeShape.N, Fingerprint.LayerProbeShape.C, Fingerprint.LayerProbeShape.H, Fingerprint.LayerProbeShape.W])
        : ([.. Fingerprint.ScalarProbe], [Fingerprint.ScalarProbe.Count]);

    /// <summary>
    /// Distinct values per channel for per-channel parameters (so a wrong broadcast shows), the initial value
    /// for scalar ones.
    /// </summary>
    public static double[] ChannelValues(Parameter p, int index, int channels)
    {
        if (p.Shape == ParameterShape.Scalar) return [p.Initial];
        var values = new double[channels];
        for (int c = 0; c < channels; c++) values[c] = p.Initial + 0.05 * ((c + 2 * index) % 7 - 3);
        return values;
    }

    /// <summary>Our values on the probe, with the parameter values of <see cref="ChannelValues"/>.</summary>
    public static double[] Expected(Case c)
    {
        var compiled = CompiledExpr.Compile(c.Expr);
        var (x, _) = Input(c);
        if (!c.Layer) return compiled.Evaluate(x, compiled.Parameters.Select(p => p.Initial).ToArray());
        var shape = Fingerprint.LayerProbeShape;
        var y = new double[x.Length];
        var values = compiled.Parameters.Select((p, i) => ChannelValues(p, i, shape.C)).ToArray();
        // Our evaluator takes one value per parameter: evaluate once per channel and keep that channel. This is
        // exact because no statistic in these cases mixes channels of a parameter-dependent input.
        Assert.DoesNotContain(c.Expr.Nodes().OfType<Aggregate>(), a => a.Arg.ContainsParameters);
        var full = new double[x.Length];
        int plane = shape.H * shape.W;
        for (int ch = 0; ch < shape.C; ch++)
        {
            compiled.Evaluate(x, full, shape, values.Select(v => v.Length == 1 ? v[0] : v[ch]).ToArray());
            for (int n = 0; n < shape.N; n++)
                Array.Copy(full, (n * shape.C + ch) * plane, y, (n * shape.C + ch) * plane, plane);
        }
        return y;
    }

    /// <summary>The first value outside <paramref name="absolute"/> + <paramref name="relative"/> * |expected|, or null.</summary>
    public static string? FirstMismatch(Case c, double[] expected, double[] actual, double absolute, double relative)
    {
        if (expected.Length != actual.Length) return $"{c.Name}: {actual.Length} values, expected {expected.Length}";
        var (x, _) = Input(c);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool same = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? a == e
                : Math.Abs(a - e) <= absolute + relative * Math.Abs(e);
            if (!same)
                return $"{c.Name} ({c.Expr}): at x[{i}] = {x[i].ToString("R", CultureInfo.InvariantCulture)} Python gives {a.ToString("R", CultureInfo.InvariantCulture)}, we give {e.ToString("R", CultureInfo.InvariantCulture)}";
        }
        return null;
    }

    public static double ParsePython(string text) => text switch
    {
        "nan" or "-nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    public static string Numbers(IEnumerable<double> values) =>
        string.Join("\n", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>Debian's Python 3 (not a virtual environment on PATH): the interpreter CI installs packages into.</summary>
internal static class DebianPython
{
    public const string Executable = "/usr/bin/python3";

    /// <summary>
    /// Runs <paramref name="script"/> in <paramref name="directory"/> and returns its standard output. A missing
    /// interpreter or module fails the test naming the Debian package (scripts/setup.sh installs them).
    /// </summary>
    public static string Run(string script, string directory, params string[] modules)
    {
        string packages = string.Join(" ", modules.Select(m => "python3-" + m));
        if (!File.Exists(Executable))
            Assert.Fail($"{Executable} is missing: the export tests run the exported code; install python3 {packages} (scripts/setup.sh does).");
        var guard = new StringBuilder("import sys\n");
        foreach (string m in modules)
            guard.Append($"try:\n    import {m}\nexcept ImportError:\n    sys.stderr.write('MISSING python3-{m}\\n')\n    sys.exit(3)\n");
        string path = Path.Combine(directory, "run.py");
        File.WriteAllText(path, guard + script);
        var psi = new ProcessStartInfo(Executable, [path]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Executable} did not finish in 3 minutes.");
        }
        if (p.ExitCode == 3 && stderr.Result.StartsWith("MISSING ", StringComparison.Ordinal))
            Assert.Fail($"The Debian package {stderr.Result[8..].Trim()} is missing: the export tests run the exported code with it " +
                "(apt-get install " + packages + "; scripts/setup.sh installs them).");
        Assert.True(p.ExitCode == 0, $"{Executable} run.py failed ({p.ExitCode}):\n{stderr.Result}\n{stdout}");
        return stdout;
    }

    /// <summary>
    /// Runs one export format over every case in one Python process, in a scratch folder deleted afterwards:
    /// <paramref name="writeCase"/> writes a case's files into the folder and returns its entry of <c>cases.json</c>;
    /// <paramref name="script"/> reads <c>cases.json</c> and writes <c>results.json</c>, one object per case name.
    /// </summary>
    public static ExportResults RunCases(ExportFormat format, string script, string module, Func<string, ExportCases.Case, JsonObject> writeCase)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"actsearch-{module}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var cases = new JsonArray();
            foreach (var c in ExportCases.All) cases.Add(writeCase(dir, c));
            File.WriteAllText(Path.Combine(dir, "cases.json"), cases.ToJsonString());
            Run(script, dir, module);
            return new ExportResults(format, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!.AsObject());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>What the Python side reported per case (<see cref="DebianPython.RunCases"/>).</summary>
internal sealed class ExportResults(ExportFormat format, JsonObject results)
{
    /// <summary>A case's result; fails the test with the exported code when Python reported an error for it.</summary>
    public JsonObject Of(ExportCases.Case c)
    {
        var r = results[c.Name]!.AsObject();
        Assert.True(r["error"] is null, $"the {format} export of {c.Name} ({c.Expr}) failed in Python:\n{r["error"]}\n{Exports.Render(c.Expr, format)}");
        return r;
    }
}
