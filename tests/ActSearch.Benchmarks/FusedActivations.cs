using ActSearch.Evaluation.Torch;
using System.Runtime.Intrinsics;
using System.Text.Json;
using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using static TorchSharp.torch;

namespace ActSearch.Benchmarks;

/// <summary>
/// Issue 14: milliseconds per training step on <c>fmnist-cnn</c> and <c>deep-mlp</c> (one thread, CPU) with the built-in
/// ReLU and SiLU, and with formulas of 1, 3, 6 and 10 nodes compiled fused and as the op chain, side by side in one run.
/// Each figure is the median of 5 rounds of 20 steps (after 5 warm-up steps), rounds interleaved over the slots so that
/// noise from other processes falls on all of them alike.
/// </summary>
public static class FusedActivations
{
    private static readonly (string Label, string Formula)[] Formulas =
    [
        ("1 node: tanh(x)", "tanh(x)"),
        ("3 nodes: x * sigmoid(x)", "x * sigmoid(x)"),
        ("6 nodes: tanh(x) * erf(x) + 0.5 * x", "tanh(x) * erf(x) + 0.5 * x"),
        ("10 nodes: x * sigmoid(1.5 * x) + 0.1 * tanh(x) * exp(-square(x))", "x * sigmoid(1.5 * x) + 0.1 * tanh(x) * exp(-square(x))"),
    ];

    public static void Run(double seconds)
    {
        DeviceSelector.Select("cpu"); // the process settings training runs with (TorchProcess)
        set_num_threads(1);
        var trainer = new ProxyTrainer(CPU);
        foreach (var name in new[] { "fmnist-cnn", "deep-mlp" })
        {
            var task = ProxyTasks.Get(name);
            var slots = new List<(string Label, int Nodes, SlotFactory Slot)>
            {
                ("relu (built-in)", 1, Slots.BuiltInRelu),
                ("silu (built-in)", 3, Slots.BuiltInSilu),
            };
            // What no compilation of the 6-node formula can beat on this machine: one hand-written loop for f and f' together.
            CheckBound();
            slots.Add(("6 nodes, one-pass bound (hand-written)", 6, _ => new OnePassBoundModule()));
            foreach (var (label, formula) in Formulas)
            {
                var expr = ExprParser.Parse(formula);
                int nodes = expr.Size;
                slots.Add((label + ", fused", nodes, c => ExprModule.Compile(expr, new ExprCompileOptions { Channels = c, Fusion = Fusion.On })));
                slots.Add((label + ", op chain", nodes, c => ExprModule.Compile(expr, new ExprCompileOptions { Channels = c, Fusion = Fusion.Off })));
            }
            var rounds = slots.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < 5; r++)
                for (int i = 0; i < slots.Count; i++)
                    rounds[i].Add(trainer.MeasureStep(task, slots[i].Slot, warmup: 5, steps: 20).TotalMilliseconds);
            double relu = Median(rounds[0]);
            for (int i = 0; i < slots.Count; i++)
            {
                double ms = Median(rounds[i]);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    benchmark = "fused-step",
                    task = name,
                    slot = slots[i].Label,
                    nodes = slots[i].Nodes,
                    ms_per_step = Math.Round(ms, 2),
                    vs_relu = Math.Round(ms / relu, 2),
                }));
            }
        }
    }

    /// <summary>
    /// Learnable parameters in the op alone: Swish with one beta (scalar), and with a beta per channel (32 of them, each
    /// applying to a block of 28 x 28 elements), as spaces with <c>parameter_shape: per_channel</c> train it.
    /// </summary>
    private static readonly (string Label, string Formula, bool PerChannel)[] WithParameters =
    [
        ("3 nodes, scalar beta: x * sigmoid(beta * x)", "x * sigmoid(v0{1} * x)", false),
        ("3 nodes, beta per channel: x * sigmoid(beta * x)", "x * sigmoid(v0{1} * x)", true),
    ];

    /// <summary>The op alone: forward and backward of one activation on a 64 x 32 x 28 x 28 float tensor (fmnist-cnn's first slot).</summary>
    public static void RunOp(double seconds)
    {
        DeviceSelector.Select("cpu");
        set_num_threads(1);
        var x0 = randn(64, 32, 28, 28);
        var cases = Formulas.Select(f => (f.Label, f.Formula, PerChannel: false)).Concat(WithParameters).ToList();
        // The first case measured in a process has a slow fused backward (17-33 ms against 1.4 ms when the same case runs
        // again; not the JIT's tiering: 60 calls on small tensors first did not remove it), so it runs twice and its first
        // measurement is not printed (2026-12-07).
        bool first = true;
        foreach (var (label, formula, perChannel) in cases.Prepend(cases[0]))
        {
            var expr = ExprParser.Parse(formula, new ParseOptions { DefaultParameterShape = perChannel ? ParameterShape.PerChannel : ParameterShape.Scalar });
            int channels = perChannel ? 32 : 0;
            var timings = new[] { false, true }.ToDictionary(f => f, _ => (Forward: new List<double>(), Backward: new List<double>()));
            // One module each, as a training run has: the fused one's loop is generated at its first call (a warm-up round).
            var modules = new[] { false, true }.ToDictionary(f => f, f => ExprModule.Compile(expr, new ExprCompileOptions { Fusion = f ? Fusion.On : Fusion.Off, Channels = channels }));
            for (int r = 0; r < 15; r++)
                foreach (bool fuse in new[] { false, true })
                {
                    var module = modules[fuse];
                    using var scope = NewDisposeScope();
                    // Not a leaf, as in training (a leaf's gradient is copied into .grad when the op's result is still referenced).
                    var x = x0.clone().requires_grad_(true).mul(1f);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var y = module.forward(x);
                    double forward = clock.Elapsed.TotalMilliseconds;
                    y.backward([ones_like(y)]);
                    double backward = clock.Elapsed.TotalMilliseconds - forward;
                    if (r < 3) continue; // warm-up
                    timings[fuse].Forward.Add(forward);
                    timings[fuse].Backward.Add(backward);
                }
            foreach (var module in modules.Values) module.Dispose();
            // The kernels alone, on plain arrays (no tensors, no autograd): what the op costs beyond them is glue. Forward
            // without and with the derivative rows (evaluation and training), and backward from the rows. The first calls
            // of a new program, on one vector, time what a module pays once: generating its loops and their JIT.
            var program = FusedProgram.TryCompile(expr)!;
            float[][] parameters = [.. program.Parameters.Select(_ => Enumerable.Repeat(1f, perChannel ? 32 : 1).ToArray())];
            var once = System.Diagnostics.Stopwatch.StartNew();
            program.ForwardWithDerivatives<float>(new float[16], new float[16], new float[16 * program.DerivativeRows], parameters, 1);
            program.Forward<float>(new float[16], new float[16], parameters, 1);
            double firstCalls = once.Elapsed.TotalMilliseconds;
            double[][] dParameters = [.. parameters.Select(p => new double[p.Length])];
            var xs = x0.data<float>().ToArray();
            var ys = new float[xs.Length];
            var dxs = new float[xs.Length];
            var derivatives = new float[program.DerivativeRows * xs.Length];
            var ones = Enumerable.Repeat(1f, xs.Length).ToArray();
            var kernelForward = new List<double>();
            var kernelTrainingForward = new List<double>();
            var kernelBackward = new List<double>();
            for (int r = 0; r < 12; r++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                program.Forward<float>(xs, ys, parameters, 784);
                double forward = clock.Elapsed.TotalMilliseconds;
                program.ForwardWithDerivatives<float>(xs, ys, derivatives, parameters, 784);
                double trainingForward = clock.Elapsed.TotalMilliseconds - forward;
                program.Backward<float>(derivatives, ones, dxs, parameters, 784, dParameters);
                double backward = clock.Elapsed.TotalMilliseconds - forward - trainingForward;
                if (r < 2) continue;
                kernelForward.Add(forward);
                kernelTrainingForward.Add(trainingForward);
                kernelBackward.Add(backward);
            }
            if (first)
            {
                first = false;
                continue;
            }
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "fused-op",
                kernels_only_forward_ms = Math.Round(Median(kernelForward), 2),
                kernels_only_training_forward_ms = Math.Round(Median(kernelTrainingForward), 2),
                kernels_only_backward_ms = Math.Round(Median(kernelBackward), 2),
                generated_loop = program.RunsGeneratedLoop,
                first_calls_ms = Math.Round(firstCalls, 2),
                formula = label,
                elements = x0.numel(),
                chain_forward_ms = Math.Round(Median(timings[false].Forward), 2),
                chain_backward_ms = Math.Round(Median(timings[false].Backward), 2),
                fused_forward_ms = Math.Round(Median(timings[true].Forward), 2),
                fused_backward_ms = Math.Round(Median(timings[true].Backward), 2),
            }));
        }
    }

    /// <summary>
    /// The lower bound for any fused compilation of <c>tanh(x) * erf(x) + 0.5 * x</c>: one AVX-512 loop that computes f
    /// and f' with the fused op's own float32 kernels, e^(-x^2) once for erf and its derivative, no chunk rows, no
    /// interpreter; saved is f' only, and backward is one multiplication: the same glue as <see cref="FusedFunction"/>.
    /// A code generator that compiled each formula into such a loop would reach this and no better.
    /// </summary>
    /// <summary>The bound computes what the fused op computes (f and the gradient of x), or its timing means nothing.</summary>
    private static void CheckBound()
    {
        using var scope = NewDisposeScope();
        var x0 = randn(2, 32, 28, 28) * 2;
        using var fused = ExprModule.Compile(ExprParser.Parse("tanh(x) * erf(x) + 0.5 * x"), new ExprCompileOptions { Fusion = Fusion.On });
        using var bound = new OnePassBoundModule();
        var results = new List<(Tensor Y, Tensor Grad)>();
        foreach (var module in new nn.Module<Tensor, Tensor>[] { fused, bound })
        {
            var x = x0.clone().requires_grad_(true);
            var y = module.forward(x);
            y.backward([ones_like(y)]);
            results.Add((y.detach(), x.grad!));
        }
        double dy = (results[0].Y - results[1].Y).abs().max().item<float>(), dg = (results[0].Grad - results[1].Grad).abs().max().item<float>();
        if (dy > 1e-5 || dg > 1e-5) throw new InvalidOperationException($"The one-pass bound differs from the fused op: {dy} in f, {dg} in the gradient.");
    }

    private sealed class OnePassBoundModule() : nn.Module<Tensor, Tensor>("OnePassBound")
    {
        public override Tensor forward(Tensor x) => OnePassBound.apply(x);
    }

    private sealed class OnePassBound : autograd.SingleTensorFunction<OnePassBound>
    {
        public override string Name => "OnePassBound";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = ((Tensor)vars[0]).contiguous();
            var y = empty_like(x);
            var d = empty_like(x);
            var xs = FusedFunction.Span<float>(x);
            var ys = FusedFunction.Span<float>(y);
            var ds = FusedFunction.Span<float>(d);
            var half = Vector512.Create(0.5f);
            var twoOverSqrtPi = Vector512.Create(1.1283791670955126f);
            if (xs.Length % 16 != 0) throw new InvalidOperationException("The bound handles lengths that are multiples of 16 only (the benchmark's tensors are).");
            for (int i = 0; i < xs.Length; i += 16)
            {
                var a = Vector512.Create(xs[i..]);
                var t = FusedFloatKernels.Tanh.Value(a);
                var e = FusedFloatKernels.Exp.Value(-(a * a));
                var erf = FusedFloatKernels.Erf.Value(a, e);
                Vector512.FusedMultiplyAdd(t, erf, half * a).CopyTo(ys[i..]);
                (Vector512.FusedMultiplyAdd(Vector512<float>.One - t * t, erf, t * twoOverSqrtPi * e) + half).CopyTo(ds[i..]);
            }
            ctx.save_for_backward([d]);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var d = ctx.get_saved_variables()[0];
            var grad = gradOutput.contiguous();
            var dx = empty_like(grad);
            System.Numerics.Tensors.TensorPrimitives.Multiply(FusedFunction.Span<float>(grad), FusedFunction.Span<float>(d), FusedFunction.Span<float>(dx));
            return [dx];
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
