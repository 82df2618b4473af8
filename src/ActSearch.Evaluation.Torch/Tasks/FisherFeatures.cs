using System.Collections.Concurrent;
using ActSearch.Evolution;
using ActSearch.Expressions;
using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;

namespace ActSearch.Evaluation.Torch.Tasks;

/// <summary>
/// The surrogate's feature sets that need TorchSharp (<see cref="SurrogateFeatureKind.Fisher"/> and
/// <see cref="SurrogateFeatureKind.Both"/>): the top <see cref="Eigenvalues"/> eigenvalues (log10, a zero as 1e-8) of the
/// task network's Fisher information at initialization (<see cref="ProxyTrainer.FisherSpectrum"/>, 32 examples), computed on
/// one device and kept per function (fingerprint) and task: in this process for every job, and, through each set's
/// <see cref="IKeptFeatures"/> side, in the job store, so another job or process computes each once.
/// </summary>
public sealed class FisherFeatures(torch.Device device) : ISurrogateFeatureSource
{
    /// <summary>How many of the largest eigenvalues are features.</summary>
    public const int Eigenvalues = 16;

    /// <summary>Examples (per-example gradients) behind one spectrum.</summary>
    public const int Examples = 32;

    /// <summary>The stored vectors' kind and method version (a new method, such as other <see cref="Examples"/>, takes the next).</summary>
    public const string Kind = "fisher";
    public const int Version = 1;

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
    public double[] Spectrum(ProxyTaskDefinition task, Expr genome) => Spectrum(task, genome, out _);

    /// <summary>
    /// The spectrum's features; <paramref name="computed"/> holds the vector with its cost when this call computed it
    /// (null when it was known in this process).
    /// </summary>
    private double[] Spectrum(ProxyTaskDefinition task, Expr genome, out FunctionFeatures? computed)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(genome);
        computed = null;
        var fingerprint = Fingerprint.Of(genome);
        var key = (fingerprint.Value, task.Spec.Name);
        if (_cache.TryGetValue(key, out var known)) return known;
        long start = Stopwatch.GetTimestamp();
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
        computed = new FunctionFeatures(fingerprint, features, Stopwatch.GetElapsedTime(start).TotalSeconds);
        Remember(key, features);
        return features;
    }

    private void Remember((ulong, string) key, double[] features)
    {
        if (_cache.Count >= MaxCached) _cache.Clear();
        _cache[key] = features;
    }

    private sealed class Set(FisherFeatures owner, ProxyTaskDefinition task, bool withProbe) : IKeptFeatures
    {
        private readonly ConcurrentQueue<FunctionFeatures> _computed = new();

        public string Name => (withProbe ? "probe+fisher@" : "fisher@") + task.Spec.Name;

        public FeatureKey Key { get; } = new(Kind, task.Spec.Name, Version);

        public double[] Of(Expr genome)
        {
            var spectrum = owner.Spectrum(task, genome, out var computed);
            if (computed is not null) _computed.Enqueue(computed);
            return withProbe ? [.. ProbeFeatures.Of(genome), .. spectrum] : spectrum;
        }

        public void Know(IEnumerable<FunctionFeatures> stored)
        {
            ArgumentNullException.ThrowIfNull(stored);
            foreach (var f in stored)
                if (f.Values.Length == Eigenvalues) owner.Remember((f.Fingerprint.Value, task.Spec.Name), f.Values);
        }

        public IReadOnlyList<FunctionFeatures> TakeComputed()
        {
            var taken = new List<FunctionFeatures>();
            while (_computed.TryDequeue(out var f)) taken.Add(f);
            return taken;
        }
    }
}
