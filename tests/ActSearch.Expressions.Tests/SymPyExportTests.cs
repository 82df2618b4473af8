using System.Text.Json.Nodes;

namespace ActSearch.Expressions.Tests;

/// <summary>
/// Runs every case's SymPy export in Debian's python3-sympy, in one Python process for the class: the snippet
/// is executed as written, then for scalar formulas <c>sympy.lambdify([x, *parameters], f, "mpmath")</c> is
/// evaluated on the probe grid with the parameters' initial values (mpmath at double precision: SymPy's own
/// NumPy printer needs SciPy for erf). Layers are checked symbolically: their statistics stay functions.
/// </summary>
public sealed class SymPyExportFixture
{
    private const string Script = """
        import json, runpy, traceback
        import mpmath
        mpmath.mp.prec = 53
        def number(v):
            try:
                if isinstance(v, mpmath.mpc) or getattr(v, "imag", 0) != 0:
                    return "nan"
                return repr(float(v))
            except (TypeError, ValueError):
                return "nan"
        cases = json.load(open("cases.json"))
        results = {}
        for case in cases:
            try:
                ns = runpy.run_path(case["path"])
                f, x, parameters = ns["f"], ns["x"], ns["parameters"]
                result = {
                    "symbols": sorted(str(s) for s in f.free_symbols),
                    "functions": sorted(str(g.func) for g in f.atoms(sympy.core.function.AppliedUndef)),
                    "parameters": {str(k): v for k, v in parameters.items()},
                }
                if not case["layer"]:
                    g = sympy.lambdify([x, *parameters.keys()], f, modules="mpmath")
                    values = list(parameters.values())
                    y = []
                    for v in open(case["input"]).read().split():
                        try:
                            y.append(number(g(mpmath.mpf(float(v)), *values)))
                        except (ZeroDivisionError, ValueError, OverflowError):
                            y.append("nan")
                    result["y"] = y
                results[case["name"]] = result
            except Exception:
                results[case["name"]] = {"error": traceback.format_exc()}
        json.dump(results, open("results.json", "w"))
        """;

    private readonly ExportResults _results = DebianPython.RunCases(ExportFormat.SymPy, Script, "sympy", (dir, c) =>
    {
        string path = Path.Combine(dir, $"{c.Name}.py");
        File.WriteAllText(path, Exports.Render(c.Expr, ExportFormat.SymPy));
        string input = Path.Combine(dir, $"{c.Name}.txt");
        File.WriteAllText(input, ExportCases.Numbers(ExportCases.Input(c).X));
        return new JsonObject { ["name"] = c.Name, ["path"] = path, ["layer"] = c.Layer, ["input"] = input };
    });

    internal JsonObject Result(ExportCases.Case c) => _results.Of(c);
}

public class SymPyExportTests(SymPyExportFixture python) : IClassFixture<SymPyExportFixture>
{
    public static TheoryData<string> ScalarCases => [.. ExportCases.Scalar.Select(c => c.Name)];

    public static TheoryData<string> LayerCases => [.. ExportCases.Layers.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(ScalarCases))]
    public void Lambdified_export_reproduces_our_values_within_1e_9_relative(string name)
    {
        var c = ExportCases.Get(name);
        double[] actual = [.. python.Result(c)["y"]!.AsArray().Select(v => ExportCases.ParsePython((string)v!))];
        // 1e-12 absolute only for results near 0, where two correct orders of the same sum round differently.
        string? mismatch = ExportCases.FirstMismatch(c, ExportCases.Expected(c), actual, absolute: 1e-12, relative: 1e-9);
        Assert.True(mismatch is null, mismatch);
    }

    [Theory]
    [MemberData(nameof(ScalarCases))]
    public void Export_defines_x_and_every_parameter_with_its_initial_value(string name)
    {
        var c = ExportCases.Get(name);
        var result = python.Result(c);
        var parameters = result["parameters"]!.AsObject();
        Assert.Equal(c.Expr.Parameters().Select(p => p.Name).Order(StringComparer.Ordinal), parameters.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var p in c.Expr.Parameters()) Assert.Equal(p.Initial, (double)parameters[p.Name]!);
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_statistics_become_named_sympy_functions(string name)
    {
        var c = ExportCases.Get(name);
        var result = python.Result(c);
        var expected = c.Expr.Nodes().OfType<Aggregate>().Select(a => a.Op.Name).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, result["functions"]!.AsArray().Select(v => (string)v!));
        Assert.Contains("x", result["symbols"]!.AsArray().Select(v => (string)v!));
    }

    [Fact]
    public void Swish_reads_as_written()
    {
        string code = Exports.Render(ExportCases.Get("swish").Expr, ExportFormat.SymPy);
        Assert.Contains("import sympy\n", code);
        Assert.Contains("x = sympy.Symbol(\"x\", real=True)\n", code);
        Assert.Contains("beta = sympy.Symbol(\"beta\", real=True)  # learnable, initial value 1.5\n", code);
        Assert.Contains("f = x * (1/(1 + sympy.exp(-(beta * x))))\n", code);
        Assert.Contains("parameters = {beta: 1.5}\n", code);
    }
}
