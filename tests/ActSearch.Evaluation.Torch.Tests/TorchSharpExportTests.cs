using System.Reflection;
using System.Runtime.Loader;
using ActSearch.Expressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// The TorchSharp export compiles as a user's project would compile it (Roslyn, no implicit usings, against the TorchSharp
/// this repository runs), and the module it defines computes what our CPU evaluator computes, learnable parameters and
/// learned units included.
/// </summary>
public class TorchSharpExportTests
{
    static TorchSharpExportTests() => TestTorch.Init();

    private static readonly Expressions.ParseOptions Layer = new() { DefaultParameterShape = ParameterShape.PerChannel };

    public static TheoryData<string, bool> Cases => new()
    {
        { "x * sigmoid(beta{1.5} * x)", false },
        { "pdiv(sin(x), x - 0.3) + max(x, 0.5) ^ 2", false },
        { "rational{5,4}(x)", false },
        { "spline{3,8,init=relu}(x)", false },
        { "x * sigmoid(rational{3,2,init=gelu}(x)) + spline{2,5,range=2,init=tanh}(beta{0.5} * x) + rational{2,0,coef=[0,1,0.5]}(2)", false },
        { "x * sigmoid(v1 * x) / sqrt(group_var(x, 8) + 1e-5)", true },
        { "gamma * rational{5,4,groups=8}(x / sqrt(instance_var(x) + 1e-5)) + beta{0}", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_exported_module_compiles_and_computes_our_values(string formula, bool layer)
    {
        var expr = ExprParser.Parse(formula, layer ? Layer : null);
        string code = Exports.Render(expr, ExportFormat.TorchSharp, "Exported");
        var type = Compile(code).GetType("Exported") ?? throw new InvalidOperationException("no class Exported");
        bool perChannel = expr.Parameters().Any(p => p.Shape == ParameterShape.PerChannel);

        using var scope = NewDisposeScope();
        var shape = layer ? new TensorShape(2, 16, 3, 3) : new TensorShape(1, 1, 1, 61);
        var module = (nn.Module<Tensor, Tensor>)(perChannel ? Activator.CreateInstance(type, 16L) : Activator.CreateInstance(type))!;
        module.to(ScalarType.Float64);
        double[] xs = layer
            ? [.. Enumerable.Range(0, shape.Length).Select(i => Math.Sin(0.37 * i) * 2 + 0.1 * (i % 16))]
            : [.. Enumerable.Range(0, 61).Select(i => -6 + 0.2 * i + 0.013)];
        var y = module.forward(tensor(xs, ScalarType.Float64).reshape(layer ? [shape.N, shape.C, shape.H, shape.W] : [61, 1]));

        var compiled = CompiledExpr.Compile(expr);
        // The export starts learned units in float32, as training does; the formula's own parameters in double.
        double[] values = [.. compiled.Parameters.Select(p => expr.Parameters().Contains(p) ? p.Initial : (double)(float)p.Initial)];
        var expected = new double[xs.Length];
        if (layer) compiled.Evaluate(xs, expected, shape, values);
        else compiled.Evaluate(xs, expected, values);
        CompilerTests.AssertClose(expected, y.data<double>().ToArray(), formula, rel: 1e-9);
        // Every learnable number is a registered parameter: the formula's own, and one tensor per learned unit.
        Assert.Equal(expr.Parameters().Count + expr.LearnedUnits().Count, module.parameters().Count());
    }

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(torch).Assembly.Location)
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p))]);

    private static Assembly Compile(string code)
    {
        var compilation = CSharpCompilation.Create("Export" + Guid.NewGuid().ToString("N"), [CSharpSyntaxTree.ParseText(code)], References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) + "\n" + code);
        image.Position = 0;
        // TorchSharp itself resolves to the test's own copy (the default context), so the module types are the same.
        return new AssemblyLoadContext("export", isCollectible: true).LoadFromStream(image);
    }
}
