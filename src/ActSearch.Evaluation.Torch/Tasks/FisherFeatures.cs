using System.Collections.Concurrent;
using ActSearch.Evolution;
using ActSearch.Expressions;
using System.Runtime.InteropServices;
using TorchSharp;

namespace ActSearch.Evaluation.Torch.Tasks;

/// <summary>
/// The surrogate's feature sets that need TorchSharp (<see cref="SurrogateFeatureKind.Fisher"/> and
/// <see cref="SurrogateFeatureKind.Both"/>): the top <see cref="Eigenvalues"/> eigenvalues (log10, a zero as 1e-8) of the
/// task network's Fisher information at initialization (<see cref="ProxyTrainer.FisherSpectrum"/>, 32 examples), computed on
/// one device and kept per function (fingerprint) and task, so a warm start or a resume computes each once per process.
/// </summary>
public sealed class FisherFeatures(torch.Device device) : ISurrogateFeatureSource
{
    /// <summary>How many of the largest eigenvalues are features.</summary>
    public const int Eigenvalues = 16;

    /// <summary>Examples (per-example gradients) behind one spectrum.</summary>
    public const int Examples = 32;

    private const int MaxCached = 200_000;
    private readonly ProxyTrainer _trainer = new(device);
    private readonly ConcurrentDictionary<(ulong, string), double[]> _cache = new();

    public ISurrogateFeatures? For(SurrogateFeatureKind kind, string? task)
    {
        if (kind == SurrogateFeatureKind.Probe) return ProbeFeatures.Set;
        if (task is null) return null;
        var definition = ProxyTasks.Get(task);
        return new Set(this, definition, kind == SurrogateFeatureKind.Both);
    }

    /// <summary>The spectrum's features of <paramref name="genome"/> on <paramref name="task"/>.</summary>
    public double[] Spectrum(ProxyTaskDefinition task, Expr genome)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(genome);
        var key = (Fingerprint.Of(genome).Value, task.Spec.Name);
        if (_cache.TryGetValue(key, out var known)) return known;
        if (_cache.Count >= MaxCached) _cache.Clear();
        double[] spectrum;
        try
        {
            spectrum = _trainer.FisherSpectrum(task, Slots.For(genome), Examples);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ExternalException)
        {
            spectrum = []; // a network that cannot run this function: every eigenvalue at the floor (training rejects it anyway)
        }
        var features = new double[Eigenvalues];
        for (int i = 0; i < Eigenvalues; i++) features[i] = Math.Log10(Math.Max(i < spectrum.Length && double.IsFinite(spectrum[i]) ? spectrum[i] : 0, 1e-8));
        return _cache[key] = features;
    }

    private sealed class Set(FisherFeatures owner, ProxyTaskDefinition task, bool withProbe) : ISurrogateFeatures
    {
        public string Name => (withProbe ? "probe+fisher@" : "fisher@") + task.Spec.Name;

        public double[] Of(Expr genome) => withProbe ? [.. ProbeFeatures.Of(genome), .. owner.Spectrum(task, genome)] : owner.Spectrum(task, genome);
    }
}
