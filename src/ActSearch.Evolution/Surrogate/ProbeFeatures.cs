using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>What a surrogate knows of a genome before training it: a vector of fixed length per feature set.</summary>
public interface ISurrogateFeatures
{
    /// <summary>The feature set's name for messages ("probe", "fisher@fmnist-cnn", ...).</summary>
    string Name { get; }

    double[] Of(Expr genome);
}

/// <summary>
/// Where a host finds the feature sets that need more than the engine has (the Fisher spectrum needs TorchSharp and the
/// task's network): registered by silos that can train; null from <see cref="For"/> when this one cannot compute the kind.
/// </summary>
public interface ISurrogateFeatureSource
{
    ISurrogateFeatures? For(SurrogateFeatureKind kind, string? task);
}

/// <summary>
/// What a surrogate knows of a candidate before training it (AQuaSurF's first feature, Bingham and Miikkulainen 2023): the
/// function's shape on fixed probe inputs, learnable parameters at their initial values (the fingerprint's rule).
/// Element-wise activations: f(x) and f'(x) at 41 points evenly spaced over [-5, 5] (82 numbers); layers (formulas with
/// tensor statistics): 128 fixed positions of the fingerprint's layer probe tensor. Every value goes through asinh, which
/// keeps small values as they are and compresses large ones logarithmically (so x^3 and exp(x) do not dwarf every other
/// difference); NaN counts as 0 and infinities as +-1e12 before it. Costs microseconds per candidate.
/// </summary>
public static class ProbeFeatures
{
    /// <summary>The scalar probe points: -5 to 5 in steps of 0.25.</summary>
    public static IReadOnlyList<double> Points => ScalarPoints;

    /// <summary>How many numbers describe an element-wise activation (outputs and slopes) or a layer.</summary>
    public const int ScalarLength = 82, LayerLength = 128;

    private static readonly double[] ScalarPoints = [.. Enumerable.Range(-20, 41).Select(i => i * 0.25)];

    /// <summary>These features as a feature set (what the engine uses unless a host gives it another).</summary>
    public static ISurrogateFeatures Set { get; } = new ProbeSet();

    public static double[] Of(Expr genome) => Of(CompiledExpr.Compile(genome));

    public static double[] Of(CompiledExpr compiled)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        if (compiled.HasAggregates)
        {
            var outputs = Fingerprint.ProbeOutputs(compiled);
            var f = new double[LayerLength];
            int stride = outputs.Length / LayerLength;
            for (int i = 0; i < LayerLength; i++) f[i] = Squash(outputs[i * stride]);
            return f;
        }
        int n = ScalarPoints.Length;
        var y = new double[n];
        var dy = new double[n];
        compiled.EvaluateWithDerivative(ScalarPoints, y, dy);
        var features = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            features[i] = Squash(y[i]);
            features[n + i] = Squash(dy[i]);
        }
        return features;
    }

    private static double Squash(double v) => double.IsNaN(v) ? 0 : Math.Asinh(Math.Clamp(v, -1e12, 1e12));

    private sealed class ProbeSet : ISurrogateFeatures
    {
        public string Name => "probe";

        public double[] Of(Expr genome) => ProbeFeatures.Of(genome);
    }
}
