using ActSearch.Expressions;

namespace ActSearch.Evaluation.Rejection;

/// <summary>
/// One formula on its way through the rejection chain: the graph, and what stages compute about it once
/// (canonical form, CPU compilation, fingerprint), so later stages do not repeat the work. Not the engine's
/// <c>ActSearch.Evolution.Candidate</c> (a genome with its id, generation, parents and operator), which a worker
/// wraps in one of these to score it.
/// </summary>
public sealed class ChainCandidate
{
    private readonly Lazy<Expr> _canonical;
    private readonly Lazy<CompiledExpr> _compiled;
    private readonly Lazy<Fingerprint> _fingerprint;

    public ChainCandidate(Expr expr, bool layer = false)
    {
        Expr = expr;
        IsLayer = layer || expr.HasAggregates();
        _canonical = new(() => Canonicalizer.Canonicalize(expr));
        _compiled = new(() => CompiledExpr.Compile(expr));
        _fingerprint = new(() => FunctionalKey.Of(Compiled));
    }

    /// <summary>Parses <paramref name="text"/>; with <paramref name="layer"/>, parameters are per channel by default.</summary>
    public static ChainCandidate Parse(string text, bool layer = false) =>
        new(ExprParser.Parse(text, new ParseOptions { DefaultParameterShape = layer ? ParameterShape.PerChannel : ParameterShape.Scalar }), layer);

    public Expr Expr { get; }

    /// <summary>True for normalization-activation layers: formulas with tensor statistics, or ones declared as layers.</summary>
    public bool IsLayer { get; }

    /// <summary>True when the formula has tensor statistics (and is probed on an NCHW tensor).</summary>
    public bool HasAggregates => Compiled.HasAggregates;

    public Expr Canonical => _canonical.Value;

    public CompiledExpr Compiled => _compiled.Value;

    /// <summary>The duplicate check's key (<see cref="FunctionalKey"/>).</summary>
    public Fingerprint Key => _fingerprint.Value;

    public string Kind => IsLayer ? "layer" : "activation";

    public override string ToString() => TextPrinter.Print(Canonical);
}

/// <summary>
/// The key under which the duplicate check remembers a candidate: <see cref="Fingerprint"/> (outputs on the seeded
/// probe at the parameters' initial values), and, when the formula has learnable parameters, also its outputs with
/// every parameter moved (x 1.5 + 0.25). So <c>x * sigmoid(beta * x)</c> (beta starting at 1) is not taken for plain
/// <c>x * sigmoid(x)</c>: equal at initialization, different once beta trains.
/// </summary>
public static class FunctionalKey
{
    public static Fingerprint Of(CompiledExpr compiled)
    {
        var atInit = Fingerprint.Of(compiled);
        if (compiled.Parameters.Count == 0) return atInit;
        double[] moved = [.. compiled.Parameters.Select(p => p.Initial * 1.5 + 0.25)];
        double[] outputs;
        if (compiled.HasAggregates)
        {
            outputs = new double[Fingerprint.LayerProbe.Count];
            compiled.Evaluate([.. Fingerprint.LayerProbe], outputs, Fingerprint.LayerProbeShape, moved);
        }
        else outputs = compiled.Evaluate([.. Fingerprint.ScalarProbe], moved);
        ulong h = atInit.Value ^ 0x9A7A_3E7E_55UL;
        foreach (double v in outputs) h = Mix(h, Fingerprint.Quantize(v));
        return new Fingerprint(h);
    }

    private static ulong Mix(ulong h, ulong v)
    {
        h ^= v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
        h ^= h >> 30;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27;
        h *= 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}
