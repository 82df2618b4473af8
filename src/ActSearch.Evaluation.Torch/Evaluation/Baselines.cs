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
    public static Baseline Of(string name, string formula, string source, bool layer = false, bool gatedOnly = false) =>
        new(name, formula, layer, Slots.For(Parse(formula, layer)), source, gatedOnly);

    /// <summary>Whether it fills the slots of <paramref name="task"/>: the same kind, and gated tasks for the gate-only forms.</summary>
    public bool Fits(ProxyTaskSpec task) => Layer == task.NormActivationSlots && (!GatedOnly || task.GatedSlots);

    private static Expr Parse(string formula, bool layer) =>
        ExprParser.Parse(formula, new ParseOptions { DefaultParameterShape = layer ? ParameterShape.PerChannel : ParameterShape.Scalar });
}

/// <summary>The baseline table: the usual activations and the seed papers' proposals, trained like any candidate.</summary>
public static class Baselines
{
    public const string EvoNormB0 = "x / max(sqrt(batch_var(x) + 1e-5), v1 * x + sqrt(instance_var(x) + 1e-5))";
    public const string EvoNormS0 = "x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)";

    /// <summary>Element-wise activations, for tasks whose slots are activations.</summary>
    public static IReadOnlyList<Baseline> Activations { get; } =
    [
        Baseline.Of("relu", "relu(x)", "Nair & Hinton 2010"),
        Baseline.Of("leaky_relu", "max(x, 0.01 * x)", "Maas et al. 2013, slope 0.01"),
        // exp of min(x, 0) rather than min(exp(x) - 1, 0): no overflow, so no 0 * Inf in the backward pass.
        Baseline.Of("elu", "max(x, 0) + exp(min(x, 0)) - 1", "Clevert et al. 2016, alpha 1"),
        Baseline.Of("selu", "1.0507009873554805 * (max(x, 0) + 1.6732632423543772 * (exp(min(x, 0)) - 1))", "Klambauer et al. 2017"),
        Baseline.Of("gelu", "0.5 * x * (1 + erf(0.7071067811865476 * x))", "Hendrycks & Gimpel 2016, exact"),
        Baseline.Of("silu", "x * sigmoid(x)", "Swish-1 (Ramachandran et al. 2017), SiLU"),
        Baseline.Of("swish", "x * sigmoid(beta * x)", "Ramachandran et al. 2017, learnable beta"),
        Baseline.Of("mish", "x * tanh(softplus(x))", "Misra 2019"),
        Baseline.Of("tanh", "tanh(x)", "classic"),
        Baseline.Of("crrelu", "relu(x) + eps{0.01} * x * exp(-square(x) / 2)", "CRReLU, learnable eps starting at 0.01"),
        // x * exp(-exp(-x)), with x held at -5 inside the Gompertz function: below it the factor is below exp(-148), 0 in
        // float32 either way, and exp(-x) no longer overflows into a 0 * Inf in the backward pass.
        Baseline.Of("golu", "x * exp(-exp(-max(x, -5)))", "GoLU, Gompertz Linear Unit (Das et al., NeurIPS 2025)"),
        Baseline.Of("polyrelu", "a1{0.3333} * relu(x) + a2{0.3333} * square(relu(x)) + a3{0.3333} * cube(relu(x)) + a0{0}",
            "PolyReLU of order 3 (Zhuo et al., ICLR 2025, PolyCom), learnable coefficients starting at 1/3 and 0"),
        Baseline.Of("glu", "sigmoid(x)", "GLU's gate (Dauphin et al. 2017): a * sigmoid(b)", gatedOnly: true),
        Baseline.Of("bilinear", "x", "the bilinear unit a * b (Shazeer 2020)", gatedOnly: true),
    ];

    /// <summary>Normalization-activation layers, for tasks whose slots replace BN+ReLU (<c>fmnist-resnet</c>).</summary>
    public static IReadOnlyList<Baseline> Layers { get; } =
    [
        new Baseline("bn_relu", "BatchNorm2d + ReLU", true, Slots.BatchNormRelu, "the layer the EvoNorms replace"),
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
