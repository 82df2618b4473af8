using System.Diagnostics;
using ActSearch.Evaluation.Tasks;

namespace ActSearch.Evaluation.Rejection;

/// <summary>Names of the chain's stages, as outcomes, tables and the database record them.</summary>
public static class StageNames
{
    public const string Static = "static";
    public const string Numeric = "numeric";
    public const string Duplicate = "duplicate";
    public const string Stability = "stability";
    public const string Quality = "quality";
    public const string Evaluation = "evaluation";
}

/// <summary>
/// One stage of the rejection chain. <see cref="Check"/> returns null when the candidate passes, otherwise a readable
/// reason ("output is constant (std 0 over the probe)"). Stages are thread-safe: one instance serves many candidates.
/// </summary>
public interface IRejectionStage
{
    string Name { get; }

    string? Check(ChainCandidate candidate, CancellationToken cancellation);
}

/// <summary>
/// The last step of the chain: training on every requested proxy task (<c>ProxyScorer</c>). Not the worker's
/// <c>ActSearch.Grains.ICandidateScorer</c>, which runs a whole chain for a job's candidate.
/// </summary>
public interface IProxyScorer
{
    CandidateScores Score(ChainCandidate candidate, CancellationToken cancellation);
}

/// <summary>How one stage went for one candidate.</summary>
public enum StageVerdict
{
    Passed,
    Rejected,
    Failed,
    Cancelled,
}

/// <summary>The time one stage spent on one candidate, and how it ended.</summary>
public sealed record StageTiming(string Stage, TimeSpan Time, StageVerdict Verdict);

/// <summary>What the chain returns: the outcome (a closed set) and the time of every stage that ran, in order.</summary>
public sealed record ChainResult(EvaluationOutcome Outcome, IReadOnlyList<StageTiming> Stages)
{
    public TimeSpan Total => Stages.Aggregate(TimeSpan.Zero, (t, s) => t + s.Time);
}

/// <summary>
/// The rejection chain: stages run cheapest first, the first rejection ends it, and a candidate that passes every
/// stage is scored (<see cref="IProxyScorer"/>). Runs synchronously on the calling thread (TorchSharp stages need
/// their dispose scopes on one thread; <c>DeviceSlots</c> gives the chain a thread). An exception in a stage ends it
/// as <see cref="EvaluationOutcome.Failed"/> naming the stage; cancellation as <see cref="EvaluationOutcome.Cancelled"/>.
/// </summary>
public sealed class RejectionChain(IReadOnlyList<IRejectionStage> stages, IProxyScorer? scorer = null)
{
    /// <summary>The error of a chain without a scorer whose candidate passed every stage.</summary>
    public const string NoScorer = "no scorer: the chain ends after its stages";

    public IReadOnlyList<IRejectionStage> Stages { get; } = stages;

    public ChainResult Run(ChainCandidate candidate, CancellationToken cancellation = default)
    {
        var timings = new List<StageTiming>();
        foreach (var stage in Stages)
        {
            if (cancellation.IsCancellationRequested) return new ChainResult(new EvaluationOutcome.Cancelled(), timings);
            var clock = Stopwatch.StartNew();
            string? reason;
            try
            {
                reason = stage.Check(candidate, cancellation);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                timings.Add(new StageTiming(stage.Name, clock.Elapsed, StageVerdict.Cancelled));
                return new ChainResult(new EvaluationOutcome.Cancelled(), timings);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                timings.Add(new StageTiming(stage.Name, clock.Elapsed, StageVerdict.Failed));
                return new ChainResult(new EvaluationOutcome.Failed($"{stage.Name}: {e.Message}"), timings);
            }
            var time = clock.Elapsed;
            if (reason is not null)
            {
                timings.Add(new StageTiming(stage.Name, time, StageVerdict.Rejected));
                return new ChainResult(new EvaluationOutcome.Rejected(stage.Name, reason, time), timings);
            }
            timings.Add(new StageTiming(stage.Name, time, StageVerdict.Passed));
        }
        if (scorer is null) return new ChainResult(new EvaluationOutcome.Failed(NoScorer), timings);
        var watch = Stopwatch.StartNew();
        try
        {
            var scores = scorer.Score(candidate, cancellation);
            timings.Add(new StageTiming(StageNames.Evaluation, watch.Elapsed, StageVerdict.Passed));
            return new ChainResult(new EvaluationOutcome.Evaluated(scores), timings);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            timings.Add(new StageTiming(StageNames.Evaluation, watch.Elapsed, StageVerdict.Cancelled));
            return new ChainResult(new EvaluationOutcome.Cancelled(), timings);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            timings.Add(new StageTiming(StageNames.Evaluation, watch.Elapsed, StageVerdict.Failed));
            return new ChainResult(new EvaluationOutcome.Failed($"{StageNames.Evaluation}: {e.Message}"), timings);
        }
    }

    /// <summary>
    /// The TorchSharp-free stages, in order: static limits, numeric probe, duplicate fingerprint (when a cache is
    /// given and the stage is enabled). Disabled stages are left out.
    /// </summary>
    public static IReadOnlyList<IRejectionStage> CheapStages(RejectionChainSettings settings, IFingerprintCache? cache)
    {
        var list = new List<IRejectionStage>();
        if (settings.Static.Enabled) list.Add(new StaticLimits(settings.Static));
        if (settings.Numeric.Enabled) list.Add(new NumericProbe(settings.Numeric));
        if (settings.Duplicate.Enabled && cache is not null) list.Add(new DuplicateCheck(cache));
        return list;
    }
}
