using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActSearch.Expressions.Tests;

/// <summary>
/// Runs every case's PyTorch export in Debian's python3-torch, in one Python process for the whole class
/// (importing torch takes seconds): the module is built (with the channel count for layers), converted to
/// float64, filled with the per-channel parameter values, run in training mode on the probe inputs, and
/// its parameters and gradients are listed.
/// </summary>
public sealed class PyTorchExportFixture
{
    private const string Script = """
        import importlib.util, json, traceback
        torch.set_num_threads(1)
        cases = json.load(open("cases.json"))
        results = {}
        for case in cases:
            try:
                spec = importlib.util.spec_from_file_location(case["name"].replace("-", "_"), case["path"])
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                cls = getattr(module, case["className"])
                m = cls(case["channels"]) if case["layer"] else cls()
                m = m.double()
                m.train()
                with torch.no_grad():
                    for name, values in case["values"].items():
                        p = getattr(m, name)
                        p.copy_(torch.tensor(values, dtype=torch.float64).reshape(p.shape))
                x = torch.tensor([float(v) for v in open(case["input"]).read().split()], dtype=torch.float64).reshape(case["shape"]).requires_grad_(True)
                y = m(x)
                y.sum().backward()
                results[case["name"]] = {
                    "y": [repr(v) for v in y.detach().reshape(-1).tolist()],
                    "parameters": {n: list(p.shape) for n, p in m.named_parameters()},
                    "withGradient": sorted(n for n, p in m.named_parameters() if p.grad is not None),
                }
            except Exception:
                results[case["name"]] = {"error": traceback.format_exc()}
        json.dump(results, open("results.json", "w"))
        """;

    private readonly ExportResults _results = DebianPython.RunCases(ExportFormat.PyTorch, Script, "torch", (dir, c) =>
    {
        int channels = Fingerprint.LayerProbeShape.C;
        string className = "Exported_" + c.Name.Replace('-', '_');
        string path = Path.Combine(dir, $"{c.Name}.py");
        File.WriteAllText(path, Exports.Render(c.Expr, ExportFormat.PyTorch, className));
        var (x, shape) = ExportCases.Input(c);
        string input = Path.Combine(dir, $"{c.Name}.txt");
        File.WriteAllText(input, ExportCases.Numbers(x));
        var values = new JsonObject();
        var names = PythonNames.Assign(c.Expr.Parameters(), PythonNames.ModuleMembers);
        var parameters = CompiledExpr.Compile(c.Expr).Parameters;
        // The graph's parameters get test values; learned units' coefficients keep their initial ones (one tensor per unit).
        for (int i = 0; i < parameters.Count; i++)
            if (names.ContainsKey(parameters[i].Name))
                values[names[parameters[i].Name]] = new JsonArray([.. ExportCases.ChannelValues(parameters[i], i, channels).Select(v => JsonValue.Create(v))]);
        return new JsonObject
        {
            ["name"] = c.Name, ["path"] = path, ["className"] = className, ["layer"] = c.Layer, ["channels"] = channels,
            ["input"] = input, ["shape"] = new JsonArray([.. shape.Select(s => JsonValue.Create(s))]), ["values"] = values,
        };
    });

    internal JsonObject Result(ExportCases.Case c) => _results.Of(c);
}

public class PyTorchExportTests(PyTorchExportFixture python) : IClassFixture<PyTorchExportFixture>
{
    public static TheoryData<string> Cases => [.. ExportCases.All.Select(c => c.Name)];

    public static TheoryData<string> LayerCases => [.. ExportCases.Layers.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exported_module_reproduces_our_values_within_1e_5(string name)
    {
        var c = ExportCases.Get(name);
        double[] actual = [.. python.Result(c)["y"]!.AsArray().Select(v => ExportCases.ParsePython((string)v!))];
        string? mismatch = ExportCases.FirstMismatch(c, ExportCases.Expected(c), actual, absolute: 1e-5, relative: 1e-5);
        Assert.True(mismatch is null, mismatch);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_learnable_constant_is_an_nn_Parameter_that_receives_a_gradient(string name)
    {
        var c = ExportCases.Get(name);
        var result = python.Result(c);
        var names = PythonNames.Assign(c.Expr.Parameters(), PythonNames.ModuleMembers);
        var expected = c.Expr.Parameters().ToDictionary(p => names[p.Name], p => p.Shape == ParameterShape.PerChannel ? $"[{Fingerprint.LayerProbeShape.C}]" : "[]");
        foreach (var u in c.Expr.Share().LearnedUnits())
            expected[u.Name] = u.Unit.Groups == 1 ? $"[{u.Unit.Count}]" : $"[{u.Unit.Groups},{u.Unit.Count}]";
        var actual = result["parameters"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.ToJsonString());
        Assert.Equal(expected.OrderBy(kv => kv.Key), actual.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), result["withGradient"]!.AsArray().Select(v => (string)v!));
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_parameters_are_one_value_per_channel(string name)
    {
        var c = ExportCases.Get(name);
        Assert.All(c.Expr.Parameters(), p => Assert.Equal(ParameterShape.PerChannel, p.Shape));
        Assert.Contains("nn.Parameter(torch.full((num_channels,),", Exports.Render(c.Expr, ExportFormat.PyTorch));
        python.Result(c);
    }

    [Fact]
    public void Parameters_named_like_python_keywords_or_module_members_get_an_underscore()
    {
        string code = Exports.Render(ExportCases.Get("python-keywords").Expr, ExportFormat.PyTorch);
        Assert.Contains("self.lambda_ = nn.Parameter(torch.tensor(1.0))", code);
        Assert.Contains("self.training_ = nn.Parameter(torch.tensor(0.5))", code);
        Assert.Contains("self.forward_ = nn.Parameter(torch.tensor(-1.0))", code);
        Assert.Equal(3, python.Result(ExportCases.Get("python-keywords"))["parameters"]!.AsObject().Count);
    }
}
