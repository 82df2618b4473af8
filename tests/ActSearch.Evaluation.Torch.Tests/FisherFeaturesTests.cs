using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>The surrogate's Fisher features: the spectrum of the task network's Fisher information at initialization.</summary>
public sealed class FisherFeaturesTests
{
    static FisherFeaturesTests() => TestTorch.Init();

    private static readonly ProxyTrainer Trainer = new(CPU);

    [Fact]
    public void The_spectrum_is_nonnegative_largest_first_one_eigenvalue_per_example_and_seeded()
    {
        var task = ProxyTasks.Get("fmnist-mlp");
        var relu = Slots.For(ExprParser.Parse("relu(x)"));
        var spectrum = Trainer.FisherSpectrum(task, relu, examples: 8);
        Assert.Equal(8, spectrum.Length);
        Assert.All(spectrum, v => Assert.True(v >= 0));
        Assert.Equal(spectrum.OrderDescending(), spectrum);
        Assert.True(spectrum[0] > 1e-6, $"largest eigenvalue {spectrum[0]}");
        Assert.Equal(spectrum, Trainer.FisherSpectrum(task, relu, examples: 8));
    }

    [Fact]
    public void The_trace_is_the_mean_squared_gradient_norm_of_the_examples()
    {
        // tr(J J^T / n) = sum of eigenvalues = mean over examples of |g_i|^2: a check that J holds whole per-example gradients.
        var task = ProxyTasks.Get("fmnist-mlp");
        var flat = Trainer.FisherSpectrum(task, Slots.For(ExprParser.Parse("0.01 * x")), examples: 8);
        var steep = Trainer.FisherSpectrum(task, Slots.For(ExprParser.Parse("x")), examples: 8);
        Assert.True(steep.Sum() > 10 * flat.Sum(), $"trace {steep.Sum()} vs {flat.Sum()}");
    }

    [Fact]
    public void Feature_sets_name_their_task_and_put_the_probe_features_first()
    {
        var source = new FisherFeatures(CPU);
        var genome = ExprParser.Parse("x * sigmoid(x)");
        var fisher = source.For(SurrogateFeatureKind.Fisher, "fmnist-mlp")!;
        var both = source.For(SurrogateFeatureKind.Both, "fmnist-mlp")!;
        Assert.Equal("fisher@fmnist-mlp", fisher.Name);
        Assert.Equal(FisherFeatures.Eigenvalues, fisher.Of(genome).Length);
        Assert.Equal([.. ProbeFeatures.Of(genome), .. fisher.Of(genome)], both.Of(genome));
        Assert.Same(ProbeFeatures.Set, source.For(SurrogateFeatureKind.Probe, null));
        Assert.Null(source.For(SurrogateFeatureKind.Fisher, null));
        Assert.All(fisher.Of(ExprParser.Parse("exp(exp(exp(x)))")), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void A_set_hands_each_computed_spectrum_to_its_host_once_and_uses_stored_ones_instead_of_computing()
    {
        var source = new FisherFeatures(CPU);
        var set = (IKeptFeatures)source.For(SurrogateFeatureKind.Fisher, "fmnist-mlp")!;
        Assert.Equal(new FeatureKey(FisherFeatures.Kind, "fmnist-mlp", FisherFeatures.Version), set.Key);
        var tanh = ExprParser.Parse("tanh(x)");
        var spectrum = set.Of(tanh);
        Assert.Equal(spectrum, set.Of(tanh));
        var computed = Assert.Single(set.TakeComputed());
        Assert.Equal(Fingerprint.Of(tanh), computed.Fingerprint);
        Assert.Equal(spectrum, computed.Values);
        Assert.True(computed.Seconds > 0);
        Assert.Empty(set.TakeComputed());

        // A stored vector (here one no network gives) is used as it is, and nothing is computed for it.
        var erf = ExprParser.Parse("erf(x)");
        double[] stored = [.. Enumerable.Repeat(-3.0, FisherFeatures.Eigenvalues)];
        set.Know([new FunctionFeatures(Fingerprint.Of(erf), stored, 0.05)]);
        Assert.Equal(stored, set.Of(erf));
        Assert.Equal([.. ProbeFeatures.Of(erf), .. stored], source.For(SurrogateFeatureKind.Both, "fmnist-mlp")!.Of(erf));
        Assert.Empty(set.TakeComputed());
    }
}
