using System.Collections.Immutable;
using System.ComponentModel.DataAnnotations;
using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

/// <summary>The curve the CPU scorer fits: a formula sampled at evenly spaced points.</summary>
public sealed class CurveFitScorerOptions
{
    /// <summary>GELU by default, 0.5 x (1 + erf(x / sqrt 2)): the curve `actsearch fit` is tuned on.</summary>
    [Required]
    public string Target { get; set; } = "0.5 * x * (1 + erf(x / 1.4142135623730951))";

    public double From { get; set; } = -5;

    public double To { get; set; } = 5;

    [Range(2, 100_000)]
    public int Points { get; set; } = 200;
}

[OptionsValidator]
internal sealed partial class CurveFitScorerOptionsValidator : IValidateOptions<CurveFitScorerOptions>;

/// <summary>
/// The CPU scorer workers use until the TorchSharp one is registered: symbolic regression of a target curve,
/// for search spaces whose tasks include <c>regression</c>. A candidate's constants are fitted by
/// Levenberg–Marquardt as the space's <c>constant_optimization</c> says (the refined genome comes back), and its
/// objectives are read through the objective registry from the fit (one <c>regression</c> run whose loss is the mean
/// squared error on the curve) and the fitted formula: <c>loss</c>, <c>accuracy</c> (= the loss, as for every loss task),
/// <c>complexity</c>, <c>nodes</c>, <c>flops</c>, <c>parameters</c>. A space with other tasks or objectives gets Failed with the reason.
/// Deterministic: the same candidate gets the same outcome on any silo and thread, so one seed gives one front.
/// </summary>
public sealed class CurveFitCandidateScorer : ICandidateScorer
{
    public const string Task = "regression";

    private readonly double[] _xs, _ys;

    public CurveFitCandidateScorer(IOptions<CurveFitScorerOptions> options)
    {
        var o = options.Value;
        (_xs, _ys) = SymbolicRegression.Sample(ExprParser.Parse(o.Target), o.From, o.To, o.Points);
        if (_ys.Any(y => !double.IsFinite(y))) throw new ArgumentException($"The target '{o.Target}' is not finite on [{o.From}, {o.To}].", nameof(options));
    }

    public ValueTask<CandidateOutcome> ScoreAsync(Guid jobId, Candidate candidate, SearchSpace space, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(space);
        cancellation.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Score(candidate, space));
    }

    public CandidateOutcome Score(Candidate candidate, SearchSpace space)
    {
        if (!space.Tasks.Contains(Task))
            return new CandidateOutcome.Failed($"This worker scores only the '{Task}' task (CPU curve fitting); '{space.Name}' needs {string.Join(", ", space.Tasks)}.");
        var objectives = space.Evolution.Objectives;
        var co = space.Evolution.ConstantOptimization;
        // Its own stream per candidate: whether a candidate is optimized never depends on which slot scored what before.
        var rng = new Rng(space.Seed ^ 0xC0FFEEUL ^ ((ulong)candidate.Id * 0x9E3779B97F4A7C15UL));
        bool optimize = co.Enabled && (co.Probability >= 1 || rng.NextDouble() < co.Probability);
        var fitter = new CurveFitter(_xs, _ys);
        var fit = optimize ? fitter.Fit(candidate.Genome, co.Iterations) : new FitResult(candidate.Genome, fitter.Mse(candidate.Genome), 1);
        var genome = fit.Formula;
        // The fit is the regression task's one run: its loss is the curve's mean squared error.
        var run = new ProxyTaskResult
        {
            Task = Task, Seed = space.Seed, Device = "cpu", Metric = TaskMetric.Loss, Loss = fit.Mse, Steps = fit.Evaluations,
            ParameterCount = genome.ParameterCount(), WallTime = TimeSpan.Zero,
        };
        if (!ObjectiveRegistry.TryMeasure(objectives, genome, [run], latency: null, "The CPU curve-fit scorer", out var values, out var error))
            return new CandidateOutcome.Failed(error!);
        if (!double.IsFinite(fit.Mse)) return new CandidateOutcome.Rejected("numeric", "NaN or Inf on the target curve");
        return new CandidateOutcome.Evaluated(values, ReferenceEquals(genome, candidate.Genome) ? null : genome);
    }
}
