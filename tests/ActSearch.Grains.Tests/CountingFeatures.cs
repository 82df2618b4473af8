using System.Collections.Concurrent;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Grains.Tests;

/// <summary>
/// The coordinator's stand-in for the Fisher spectrum (<c>features: both</c>): a kept feature set with no memory of its own
/// beyond one job, which counts every vector it computes per function. A function computed twice across jobs means the
/// second job did not get the stored vector. It does not compute <c>fisher</c>, so a space asking for that is refused as on
/// a coordinator that cannot train.
/// </summary>
public sealed class CountingFeatures : ISurrogateFeatureSource
{
    public static readonly ConcurrentDictionary<(string Task, Fingerprint Function), int> Computed = new();

    public ISurrogateFeatures? For(SurrogateFeatureKind kind, string? task) => kind switch
    {
        SurrogateFeatureKind.Probe => ProbeFeatures.Set,
        SurrogateFeatureKind.Both when task is not null => new Set(task),
        _ => null,
    };

    private sealed class Set(string task) : IKeptFeatures
    {
        private readonly ConcurrentDictionary<Fingerprint, double[]> _known = new();
        private readonly ConcurrentQueue<FunctionFeatures> _computed = new();

        public string Name => "counting@" + task;

        public FeatureKey Key { get; } = new("counting", task, 1);

        public double[] Of(Expr genome)
        {
            var fingerprint = Fingerprint.Of(genome);
            var values = _known.GetOrAdd(fingerprint, f =>
            {
                Computed.AddOrUpdate((task, f), 1, (_, n) => n + 1);
                double[] v = [genome.NodeCount(), genome.Complexity()];
                _computed.Enqueue(new FunctionFeatures(f, v, 0.001));
                return v;
            });
            return [.. ProbeFeatures.Of(genome), .. values];
        }

        public void Know(IEnumerable<FunctionFeatures> stored)
        {
            foreach (var f in stored) _known[f.Fingerprint] = f.Values;
        }

        public IReadOnlyList<FunctionFeatures> TakeComputed()
        {
            var taken = new List<FunctionFeatures>();
            while (_computed.TryDequeue(out var f)) taken.Add(f);
            return taken;
        }
    }
}
