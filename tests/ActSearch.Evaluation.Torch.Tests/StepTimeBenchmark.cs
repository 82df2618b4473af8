using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// Issue 3's benchmark (a): time per training step with the compiled <c>x * sigmoid(x)</c> against the same network
/// with TorchSharp's built-in SiLU. Runs only with ACTSEARCH_BENCH=1 (it takes tens of seconds):
/// <c>ACTSEARCH_BENCH=1 dotnet test tests/ActSearch.Evaluation.Torch.Tests --filter StepTimeBenchmark --logger "console;verbosity=detailed"</c>.
/// </summary>
public class StepTimeBenchmark(ITestOutputHelper output)
{
    static StepTimeBenchmark() => TestTorch.Init();

    [Fact]
    public void Compiled_swish_against_built_in_silu()
    {
        if (Environment.GetEnvironmentVariable("ACTSEARCH_BENCH") != "1") return;
        int threads = int.TryParse(Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_THREADS"), out int t) ? t : 1;
        set_num_threads(threads);
        var trainer = new ProxyTrainer(CPU);
        var swish = ExprParser.Parse("x * sigmoid(x)");
        output.WriteLine($"threads={threads} device=cpu; ms per training step (batch 64), median of 5 rounds of 30 steps");
        foreach (var name in new[] { "fmnist-mlp", "fmnist-cnn", "deep-mlp", "fmnist-resnet" })
        {
            var task = ProxyTasks.Get(name);
            double Median(SlotFactory slot)
            {
                var rounds = Enumerable.Range(0, 5).Select(_ => trainer.MeasureStep(task, slot, warmup: 5, steps: 30).TotalMilliseconds).Order().ToArray();
                return rounds[2];
            }
            double builtIn = Median(Slots.BuiltInSilu), compiled = Median(Slots.For(swish)), fused = Median(Slots.For(swish, fuse: true));
            output.WriteLine($"{name,-14} built-in SiLU {builtIn,8:F2}  compiled {compiled,8:F2} ({compiled / builtIn:F2}x)  compiled+fused {fused,8:F2} ({fused / builtIn:F2}x)");
        }
        var resnet = ProxyTasks.Get("fmnist-resnet");
        var layer = new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel };
        foreach (var (label, slot) in new (string, SlotFactory)[]
        {
            ("BN+ReLU", Slots.BatchNormRelu),
            ("EvoNorm-S0", Slots.For(ExprParser.Parse(CompilerTests.EvoNormS0, layer))),
            ("EvoNorm-B0", Slots.For(ExprParser.Parse(CompilerTests.EvoNormB0, layer))),
        })
            output.WriteLine($"fmnist-resnet  {label,-10} {trainer.MeasureStep(resnet, slot, warmup: 3, steps: 10).TotalMilliseconds,8:F2}");
        set_num_threads(1);
    }
}
