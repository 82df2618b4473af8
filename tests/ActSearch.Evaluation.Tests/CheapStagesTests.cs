using System.Diagnostics;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Tests;

/// <summary>The TorchSharp-free stages of the rejection chain: static limits, numeric probe, duplicate fingerprint.</summary>
public class CheapStagesTests
{
    private static readonly NumericProbe Probe = new(new NumericProbeSettings());

    private static string? Numeric(string formula, bool layer = false) => Probe.Check(ChainCandidate.Parse(formula, layer), CancellationToken.None);

    private static ChainResult Chain(string formula, IFingerprintCache? cache = null, RejectionChainSettings? settings = null) =>
        new RejectionChain(RejectionChain.CheapStages(settings ?? new RejectionChainSettings(), cache)).Run(ChainCandidate.Parse(formula));

    [Fact]
    public void Numeric_probe_rejects_nan_with_the_share_and_an_example_input()
    {
        Assert.Equal("produces NaN at 48% of probe inputs (e.g. x = -0.3)", Numeric("log(x)"));
    }

    [Fact]
    public void Numeric_probe_rejects_overflow_as_an_explosion()
    {
        string? reason = Numeric("exp(exp(exp(x)))");
        Assert.NotNull(reason);
        Assert.StartsWith("explodes: overflows to +Inf at ", reason);
        Assert.EndsWith("of probe inputs (e.g. x = 2.1)", reason);
    }

    [Fact]
    public void Numeric_probe_rejects_a_constant_written_with_x()
    {
        Assert.Equal("output is constant (std 0 over the probe)", Numeric("x - x"));
        Assert.StartsWith("output is near-constant (std ", Numeric("1e-5 * tanh(x) + 3"));
    }

    [Theory]
    [InlineData("exp(x)", "explodes: |f(x)| reaches 2.2e+04 at x = 10 (limit 1000 * |x|)")]
    [InlineData("square(square(x))", "explodes: |f(x)| reaches 1.6e+05 at x = -20 (limit 1000 * |x|)")]
    public void Numeric_probe_rejects_growth_faster_than_the_configured_polynomial(string formula, string expected) =>
        Assert.Equal(expected, Numeric(formula));

    [Fact]
    public void Numeric_probe_rejects_affine_activations_unless_told_not_to()
    {
        Assert.Equal("is affine on the probe (f(x) = 2 * x + 1): a network of it collapses into one linear map", Numeric("x + x + 1"));
        Assert.Null(new NumericProbe(new NumericProbeSettings { RejectAffine = false }).Check(ChainCandidate.Parse("x + x + 1"), default));
    }

    [Fact]
    public void Growth_bound_is_configurable()
    {
        var strict = new NumericProbe(new NumericProbeSettings { ExplosionScale = 1, GrowthDegree = 1 });
        Assert.Null(Probe.Check(ChainCandidate.Parse("square(x)"), default));
        Assert.Equal("explodes: |f(x)| reaches 4 at x = -2 (limit 1 * |x|)", strict.Check(ChainCandidate.Parse("square(x)"), default));
    }

    [Fact]
    public void Numeric_probe_rejects_a_step_function_for_its_vanishing_derivative()
    {
        // pdiv(relu(x), x) is 1 for x > 0 and 0 below: it varies, but no gradient flows through it.
        Assert.StartsWith("derivative is ~0 on the whole probe (max |f'(x)| = ", Numeric("pdiv(relu(x), x)"));
    }

    [Theory]
    [InlineData("relu(x)")]
    [InlineData("x * sigmoid(x)")]
    [InlineData("tanh(x)")]
    [InlineData("max(x, 0.01 * x)")]
    [InlineData("x * tanh(softplus(x))")]
    [InlineData("cube(x)")]
    [InlineData("relu(x) + eps{0.01} * x * exp(-square(x) / 2)")]
    public void Numeric_probe_passes_the_usual_activations(string formula) => Assert.Null(Numeric(formula));

    [Theory]
    [InlineData("x / max(sqrt(batch_var(x) + 1e-5), v1 * x + sqrt(instance_var(x) + 1e-5))")]
    [InlineData("x * sigmoid(v1 * x) / sqrt(group_var(x, 32) + 1e-5)")]
    public void Numeric_probe_passes_the_EvoNorm_layers_on_the_nchw_probe(string formula) => Assert.Null(Numeric(formula, layer: true));

    [Fact]
    public void Layers_are_probed_on_an_nchw_tensor()
    {
        Assert.StartsWith("produces NaN at ", Numeric("log(x - batch_mean(x))", layer: true));
        Assert.Equal("output is constant (std 0 over the probe tensor)", Numeric("x / batch_std(x) - x / batch_std(x)", layer: true));
        Assert.StartsWith("explodes: |y| reaches ", Numeric("exp(x / instance_std(x) * 3)", layer: true));
    }

    [Fact]
    public void Static_limits_reject_by_size_depth_parameters_primitive_and_missing_x()
    {
        var settings = new RejectionChainSettings
        {
            Static = new StaticLimitSettings { MaxNodes = 6, MaxDepth = 4, MaxParameters = 1, ForbiddenPrimitives = ["sin"] },
        };
        string? Static(string f) => new StaticLimits(settings.Static).Check(ChainCandidate.Parse(f), default);
        Assert.Equal("has 7 nodes (limit 6)", Static("x * sigmoid(x) + tanh(x) + 1"));
        Assert.Equal("is 5 levels deep (limit 4)", Static("tanh(tanh(tanh(tanh(x))))"));
        Assert.Equal("has 2 learnable parameters (limit 1)", Static("a * x + b"));
        Assert.Equal("uses 'sin', which this search space forbids", Static("sin(x)"));
        Assert.Equal("does not depend on x", Static("tanh(a)"));
        Assert.Null(Static("x * sigmoid(x)"));
    }

    [Fact]
    public void The_three_classic_failures_get_distinct_reasons_from_the_numeric_stage_in_well_under_a_second()
    {
        var reasons = new HashSet<string>();
        foreach (var formula in new[] { "exp(exp(exp(x)))", "x - x", "log(x)" })
        {
            var clock = Stopwatch.StartNew();
            var result = Chain(formula, new FingerprintCache());
            clock.Stop();
            var rejected = Assert.IsType<EvaluationOutcome.Rejected>(result.Outcome);
            Assert.Equal(StageNames.Numeric, rejected.Stage);
            Assert.True(reasons.Add(rejected.Reason));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(0.5), $"{formula}: {clock.Elapsed}");
            Assert.Equal([StageNames.Static, StageNames.Numeric], result.Stages.Select(s => s.Stage));
            Assert.Equal(StageVerdict.Rejected, result.Stages[^1].Verdict);
            Assert.Equal(rejected.Cost, result.Stages[^1].Time);
        }
    }

    [Fact]
    public void Duplicates_are_rejected_with_the_first_canonical_form()
    {
        var cache = new FingerprintCache();
        var first = Chain("x * sigmoid(x)", cache);
        Assert.Equal("no scorer: the chain ends after its stages", Assert.IsType<EvaluationOutcome.Failed>(first.Outcome).Error);
        Assert.Equal(StageVerdict.Passed, first.Stages.Single(s => s.Stage == StageNames.Duplicate).Verdict);

        var again = Assert.IsType<EvaluationOutcome.Rejected>(Chain("x / (1 + exp(-x))", cache).Outcome);
        Assert.Equal(StageNames.Duplicate, again.Stage);
        Assert.Equal("already evaluated as x * sigmoid(x)", again.Reason);
    }

    [Fact]
    public void A_learnable_parameter_is_not_a_duplicate_of_its_initial_value()
    {
        var cache = new FingerprintCache();
        Chain("x * sigmoid(x)", cache);
        Assert.IsNotType<EvaluationOutcome.Rejected>(Chain("x * sigmoid(beta * x)", cache).Outcome);
        Assert.Equal("already evaluated as x * sigmoid(beta * x)",
            Assert.IsType<EvaluationOutcome.Rejected>(Chain("x * sigmoid(x * beta)", cache).Outcome).Reason);
    }

    [Fact]
    public void Fingerprint_cache_forgets_the_least_recently_used_key()
    {
        var cache = new FingerprintCache(capacity: 2);
        Assert.Null(cache.TryAdd(new Fingerprint(1), "a"));
        Assert.Null(cache.TryAdd(new Fingerprint(2), "b"));
        Assert.Equal("a", cache.TryAdd(new Fingerprint(1), "a2")); // touches 1
        Assert.Null(cache.TryAdd(new Fingerprint(3), "c")); // evicts 2
        Assert.False(cache.Contains(new Fingerprint(2)));
        Assert.True(cache.Contains(new Fingerprint(1)));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Disabled_stages_are_left_out()
    {
        var settings = new RejectionChainSettings { Numeric = new NumericProbeSettings { Enabled = false } };
        var result = Chain("log(x)", new FingerprintCache(), settings);
        Assert.Equal([StageNames.Static, StageNames.Duplicate], result.Stages.Select(s => s.Stage));
    }

    [Fact]
    public void A_stage_that_throws_ends_the_chain_as_failed_and_cancellation_as_cancelled()
    {
        var chain = new RejectionChain([new Throwing()]);
        Assert.Equal("boom: broken", Assert.IsType<EvaluationOutcome.Failed>(chain.Run(ChainCandidate.Parse("x")).Outcome).Error);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.IsType<EvaluationOutcome.Cancelled>(chain.Run(ChainCandidate.Parse("x"), cts.Token).Outcome);
    }

    private sealed class Throwing : IRejectionStage
    {
        public string Name => "boom";

        public string? Check(ChainCandidate candidate, CancellationToken cancellation) => throw new InvalidOperationException("broken");
    }
}
