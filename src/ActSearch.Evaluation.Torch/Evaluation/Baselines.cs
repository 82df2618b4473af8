using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Scheduling;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Torch.Evaluation;

/// <summary>
/// A known activation or normalization-activation layer the search is compared with. <see cref="Formula"/> is in our
/// syntax where the function can be written with our primitives (all but BatchNorm, which keeps running statistics
/// and momentum of its own and is TorchSharp's <c>BatchNorm2d</c> + <c>ReLU</c>).
/// <para>
/// <see cref="GatedOnly"/> marks the GLU forms that only make sense as a gate (<c>sigmoid</c>: GLU; the identity:
/// bilinear); on tasks with gated slots every activation baseline is a gated unit too (silu: SwiGLU, gelu: GeGLU).
/// </para>
/// </summary>
public sealed record Baseline(string Name, string Formula, bool Layer, SlotFactory Slot, string Source, bool GatedOnly = false)
{
    /// <summary>Learnable numbers per slot (a per-channel parameter counts once; a learned unit all its coefficients), so comparisons are at stated cost.</summary>
    public required int Parameters { get; init; }

    /// <summary>Nominal floating-point operations per element (<see cref="ExprGraph.Flops"/> of the formula).</summary>
    public required double Flops { get; init; }

    public static Baseline Of(string name, string formula, string source, bool layer = false, bool gatedOnly = false, bool feedForwardOnly = false) =>
        Of(name, formula, Parse(formula, layer), layer, source, gatedOnly) with { FeedForwardOnly = feedForwardOnly };

    /// <summary>
    /// A function already parsed (a search's find), trained and compared like a baseline. A layer's slot adds the per-channel
    /// affine transform of <see cref="Compilation.NormActivationLayer"/> (gamma and beta: 2 numbers, a multiply and an add).
    /// </summary>
    public static Baseline Of(string name, string formula, Expr expr, bool layer, string source, bool gatedOnly = false) =>
        new(name, formula, layer, Slots.ForKind(expr, layer), source, gatedOnly)
        {
            Parameters = expr.ParameterCount() + (layer ? AffineParameters : 0),
            Flops = expr.Flops() + (layer ? AffineParameters : 0),
        };

    private const int AffineParameters = 2;

    /// <summary>Only where slots are a transformer's feed-forward activation (<see cref="ProxyTaskSpec.FeedForwardSlots"/>): PolyNorm.</summary>
    public bool FeedForwardOnly { get; init; }

    /// <summary>Whether it fills the slots of <paramref name="task"/>: the same kind, gated tasks for the gate-only forms, transformer blocks for PolyNorm.</summary>
    public bool Fits(ProxyTaskSpec task) => Layer == task.NormActivationSlots && (!GatedOnly || task.GatedSlots) && (!FeedForwardOnly || task.FeedForwardSlots);

    private static Expr Parse(string formula, bool layer) =>
        ExprParser.Parse(formula, new ParseOptions { DefaultParameterShape = layer ? ParameterShape.PerChannel : ParameterShape.Scalar });
}

/// <summary>The baseline table: the usual activations and the seed papers' proposals, trained like any candidate.</summary>
public static class Baselines
{
    public const string EvoNormB0 = "x / max(sqrt(batch_var(x) + 1e-5), v1 * x + sqrt(instance_var(x) + 1e-5))";
    public const string EvoNormS0 = "x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)";

    /// <summary>PolyNorm (PolyCom's reference code: x * rsqrt(mean(x^2) + 1e-6) over the last dimension, for x, x^2, x^3).</summary>
    public const string PolyNorm = "a1{0.3333} * x / sqrt(layer_m2(x) + 1e-6) + a2{0.3333} * square(x) / sqrt(layer_m2(square(x)) + 1e-6)"
        + " + a3{0.3333} * cube(x) / sqrt(layer_m2(cube(x)) + 1e-6) + a0{0}";

    /// <summary>Element-wise activations, for tasks whose slots are activations.</summary>
    public static IReadOnlyList<Baseline> Activations { get; } =
    [
        Baseline.Of("relu", KnownFunctions.Formula("relu"), "Nair & Hinton 2010"),
        Baseline.Of("leaky_relu", KnownFunctions.Formula("leaky_relu"), "Maas et al. 2013, slope 0.01"),
        Baseline.Of("elu", KnownFunctions.Formula("elu"), "Clevert et al. 2016, alpha 1"),
        Baseline.Of("selu", KnownFunctions.Formula("selu"), "Klambauer et al. 2017"),
        Baseline.Of("gelu", KnownFunctions.Formula("gelu"), "Hendrycks & Gimpel 2016, exact"),
        Baseline.Of("silu", KnownFunctions.Formula("silu"), "Swish-1 (Ramachandran et al. 2017), SiLU"),
        Baseline.Of("swish", "x * sigmoid(beta * x)", "Ramachandran et al. 2017, learnable beta"),
        Baseline.Of("mish", KnownFunctions.Formula("mish"), "Misra 2019"),
        Baseline.Of("tanh", KnownFunctions.Formula("tanh"), "classic"),
        Baseline.Of("crrelu", "relu(x) + eps{0.01} * x * exp(-square(x) / 2)", "CRReLU, learnable eps starting at 0.01"),
        Baseline.Of("golu", KnownFunctions.Formula("golu"), "GoLU, Gompertz Linear Unit (Das et al., NeurIPS 2025)"),
        // x^1..x^3, each RMS-normalized over the row (the hidden units of one position), weights 1/3 and a bias of 0.
        Baseline.Of("polynorm", PolyNorm, "PolyNorm of order 3 (Zhuo et al., ICLR 2025, PolyCom): RMS-normalized powers, learnable weights starting at 1/3",
            feedForwardOnly: true),
        Baseline.Of("polyrelu", "a1{0.3333} * relu(x) + a2{0.3333} * square(relu(x)) + a3{0.3333} * cube(relu(x)) + a0{0}",
            "PolyReLU of order 3 (Zhuo et al., ICLR 2025, PolyCom), learnable coefficients starting at 1/3 and 0"),
        // Learned functions: the coefficients train with the network, one set per layer (PAU) or per slot (KAN's spline).
        Baseline.Of("pau", "rational{5,4}(x)", "Padé activation unit 5/4 (Molina et al., ICLR 2020), safe form, fitted to leaky ReLU"),
        Baseline.Of("kan_spline", "spline{3,8}(x)",
            "KAN's activation (Liu et al. 2024): SiLU residual + cubic B-spline, 8 intervals on [-3, 3], starting as SiLU"),
        Baseline.Of("glu", "sigmoid(x)", "GLU's gate (Dauphin et al. 2017): a * sigmoid(b)", gatedOnly: true),
        Baseline.Of("bilinear", "x", "the bilinear unit a * b (Shazeer 2020)", gatedOnly: true),
    ];

    /// <summary>Normalization-activation layers, for tasks whose slots replace BN+ReLU (<see cref="ProxyTaskSpec.NormActivationSlots"/>).</summary>
    public static IReadOnlyList<Baseline> Layers { get; } =
    [
        // gamma and beta per channel; normalize (subtract, multiply), scale, shift, clamp.
        new Baseline("bn_relu", "BatchNorm2d + ReLU", true, Slots.BatchNormRelu, "the layer the EvoNorms replace") { Parameters = 2, Flops = 5 },
        Baseline.Of("evonorm_s0", EvoNormS0, "Liu et al. 2020 (x gamma + beta)", layer: true),
        Baseline.Of("evonorm_b0", EvoNormB0, "Liu et al. 2020 (x gamma + beta)", layer: true),
    ];

    public static IReadOnlyList<Baseline> All { get; } = [.. Activations, .. Layers];

    /// <summary>
    /// The baselines that belong on a task: layers where slots replace BN+ReLU, activations elsewhere (with the gate-only
    /// forms on gated tasks).
    /// </summary>
    public static IEnumerable<Baseline> For(ProxyTaskSpec task) => All.Where(b => b.Fits(task));

    /// <summary>
    /// Trains every (baseline, task, seed) on the slots, all queued at once, and returns the runs grouped per baseline
    /// and task in the order given. <paramref name="configure"/> may change a baseline's task before its runs (another
    /// learning rate, the validation split); the seed and <paramref name="steps"/> are applied after it.
    /// </summary>
    public static async Task<IReadOnlyList<BaselineRow>> RunAsync(IEnumerable<Baseline> baselines, IReadOnlyList<string> tasks,
        IEnumerable<ulong> seeds, int? steps, DeviceSlots slots, CancellationToken cancellation = default,
        Func<Baseline, ProxyTaskDefinition, ProxyTaskDefinition>? configure = null)
    {
        var trainer = new ProxyTrainer(slots.Device);
        var seedList = seeds.ToList();
        var jobs = new List<(Baseline Baseline, string Task, Task<ProxyTaskResult> Run)>();
        var chosen = baselines.ToList();
        foreach (string name in tasks)
        {
            var task = ProxyTasks.Get(name);
            foreach (var b in chosen.Where(b => b.Fits(task.Spec)))
                foreach (ulong seed in seedList)
                {
                    var configured = configure?.Invoke(b, task) ?? task;
                    var spec = configured.Spec.WithSeed(seed);
                    if (steps is { } n) spec = spec.WithSteps(n);
                    var definition = configured with { Spec = spec };
                    jobs.Add((b, name, slots.RunAsync(ct => trainer.Run(definition, b.Slot, ct), cancellation)));
                }
        }
        await Task.WhenAll(jobs.Select(j => j.Run));
        return [.. chosen
            .Select(b => new BaselineRow(b, [.. jobs.Where(j => j.Baseline == b).GroupBy(j => j.Task).Select(g => TaskSummary.Of(g.Select(j => j.Run.Result)))]))
            .Where(r => r.Summaries.Count > 0)];
    }
}

/// <summary>One baseline's results: a summary (mean ± std over seeds) per task it ran on.</summary>
public sealed record BaselineRow(Baseline Baseline, IReadOnlyList<TaskSummary> Summaries);
