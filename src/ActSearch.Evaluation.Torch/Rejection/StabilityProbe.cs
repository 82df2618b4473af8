using ActSearch.Evaluation.Data;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Torch.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Rejection;

/// <summary>What the stability probe measured: per block, the RMS of the candidate's input and of its gradient.</summary>
/// <param name="InputRms">a_l: RMS of the candidate's input z_l at block l (0-based here, block 1 in reasons).</param>
/// <param name="GradientRms">g_l: RMS of dLoss/dz_l.</param>
/// <param name="Reason">Why it was rejected, or null.</param>
public sealed record StabilityMeasurement(double[] InputRms, double[] GradientRms, double Loss, string? Reason);

/// <summary>
/// Stage 4: the gradient-norm test at initialization. What the network is, what is measured and the thresholds:
/// <see cref="StabilityProbeSettings"/>. Weights, inputs and labels come from <see cref="SeededRandom"/>, not from
/// libtorch's global generator, so the probe is identical on every run and safe beside concurrent training.
/// Costs a few milliseconds on a CPU.
/// </summary>
public sealed class StabilityProbe(StabilityProbeSettings settings, Device device) : IRejectionStage
{
    private const int Classes = 10, MapSize = 8, LayerBatch = 16;

    public string Name => StageNames.Stability;

    public StabilityProbeSettings Settings { get; } = settings;

    public string? Check(ChainCandidate candidate, CancellationToken cancellation) => Measure(candidate).Reason;

    public StabilityMeasurement Measure(ChainCandidate candidate)
    {
        var s = Settings;
        bool conv = candidate.IsLayer;
        int width = conv ? s.Channels : s.Width, batch = conv ? LayerBatch : s.Batch;
        long[] shape = conv ? [batch, width, MapSize, MapSize] : [batch, width];
        var rng = new SeededRandom(s.Seed);
        var slot = Slots.For(candidate.Expr);
        var modules = new List<nn.Module<Tensor, Tensor>>();
        var a = new double[s.Depth];
        var g = new double[s.Depth];
        using var scope = NewDisposeScope();
        try
        {
            var h = Normal(rng, shape, 1.0, requiresGrad: false);
            var weights = new List<Tensor>();
            var z = new List<Tensor>();
            for (int l = 0; l < s.Depth; l++)
            {
                // Kaiming-normal weights (std sqrt(2 / fan_in)), no bias: ReLU keeps the signal's scale through depth.
                int fanIn = conv ? width * 9 : width;
                var w = Normal(rng, conv ? [width, width, 3, 3] : [width, width], Math.Sqrt(2.0 / fanIn), requiresGrad: true);
                weights.Add(w);
                var zl = conv ? nn.functional.conv2d(h, w, padding: [1, 1]) : h.matmul(w.t());
                zl.retain_grad();
                z.Add(zl);
                var module = slot(width);
                modules.Add(module);
                module.to(device);
                module.train();
                h = module.forward(zl);
                if (!IsFinite(zl) || !IsFinite(h))
                    return new StabilityMeasurement(a, g, double.NaN, $"{FirstNonFinite(IsFinite(zl) ? h : zl)} in the forward pass at init (block {l + 1} of {s.Depth})");
                a[l] = Rms(zl);
            }
            var flat = h.flatten(1);
            var head = Normal(rng, [Classes, flat.shape[1]], Math.Sqrt(1.0 / flat.shape[1]), requiresGrad: true);
            var labels = tensor(Enumerable.Range(0, batch).Select(_ => (long)rng.NextInt(Classes)).ToArray(), device: device);
            var loss = nn.functional.cross_entropy(flat.matmul(head.t()), labels);
            double lossValue = loss.item<float>();
            if (!double.IsFinite(lossValue)) return new StabilityMeasurement(a, g, lossValue, $"loss is {Word(lossValue)} at init");
            loss.backward();
            for (int l = 0; l < s.Depth; l++)
            {
                var grad = z[l].grad;
                if (grad is null) return new StabilityMeasurement(a, g, lossValue, $"no gradient reaches block {l + 1} of {s.Depth} at init");
                if (!IsFinite(grad)) return new StabilityMeasurement(a, g, lossValue, $"{FirstNonFinite(grad)} gradients at init (block {l + 1} of {s.Depth})");
                g[l] = Rms(grad);
            }
            foreach (var (module, l) in modules.Select((m, i) => (m, i)))
                foreach (var (name, p) in module.named_parameters())
                    if (p.grad is { } pg && !IsFinite(pg))
                        return new StabilityMeasurement(a, g, lossValue, $"{FirstNonFinite(pg)} gradients at init (the candidate's parameter '{name}' in block {l + 1})");
            return new StabilityMeasurement(a, g, lossValue, Judge(a, g));
        }
        finally
        {
            foreach (var m in modules) m.Dispose();
        }
    }

    private string? Judge(double[] a, double[] g)
    {
        var s = Settings;
        int depth = a.Length;
        if (a[0] == 0) return "the first block's input is 0 at init";
        if (g[depth - 1] == 0) return "gradients are exactly 0 at init";
        // Forward: every block's input RMS relative to the first block's.
        var (hiF, hiFAt) = Extreme(a, a[0], max: true);
        if (hiF > s.MaxForwardRatio)
            return $"signal explodes through depth at init: input RMS grows {NumericProbe.Num(hiF)}x from block 1 to block {hiFAt + 1} (limit {NumericProbe.Num(s.MaxForwardRatio)}x)";
        var (loF, loFAt) = Extreme(a, a[0], max: false);
        if (loF < 1 / s.MaxForwardRatio)
            return $"signal vanishes through depth at init: input RMS falls to {NumericProbe.Num(loF)}x from block 1 to block {loFAt + 1} (limit 1/{NumericProbe.Num(s.MaxForwardRatio)})";
        // Backward: every block's gradient RMS relative to the last block's.
        var (hiB, hiBAt) = Extreme(g, g[depth - 1], max: true);
        if (hiB > s.MaxGradientNorm)
            return $"gradients explode through depth at init: gradient RMS grows {NumericProbe.Num(hiB)}x from block {depth} back to block {hiBAt + 1} (limit {NumericProbe.Num(s.MaxGradientNorm)}x)";
        var (loB, loBAt) = Extreme(g, g[depth - 1], max: false);
        if (loB < 1 / s.MaxGradientNorm)
            return $"gradients vanish through depth at init: gradient RMS falls to {NumericProbe.Num(loB)}x from block {depth} back to block {loBAt + 1} (limit 1/{NumericProbe.Num(s.MaxGradientNorm)})";
        return null;
    }

    private static (double Ratio, int At) Extreme(double[] values, double reference, bool max)
    {
        int at = 0;
        for (int i = 1; i < values.Length; i++)
            if (max ? values[i] > values[at] : values[i] < values[at]) at = i;
        return (values[at] / reference, at);
    }

    private Tensor Normal(SeededRandom rng, long[] shape, double std, bool requiresGrad)
    {
        long n = shape.Aggregate(1L, (p, d) => p * d);
        var data = new float[n];
        for (long i = 0; i < n; i++)
        {
            double u1 = ((rng.NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));
            double u2 = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
            data[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return tensor(data, shape, device: device, requires_grad: requiresGrad);
    }

    private static bool IsFinite(Tensor t) => t.isfinite().all().item<bool>();

    private static string FirstNonFinite(Tensor t) => t.isnan().any().item<bool>() ? "NaN" : "Inf";

    private static double Rms(Tensor t) => t.detach().to(ScalarType.Float64).square().mean().sqrt().item<double>();

    private static string Word(double v) => double.IsNaN(v) ? "NaN" : "Inf";
}
