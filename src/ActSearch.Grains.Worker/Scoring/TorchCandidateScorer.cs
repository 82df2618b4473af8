using System.Collections.Immutable;
using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces;
using TorchSharp;

namespace ActSearch.Grains;

/// <summary>
/// The worker silos' real scorer: the search space's rejection chain (static limits, numeric probe, stability probe,
/// quality probe; the job's engine already answered duplicates), then training on every proxy task of the space with
/// TorchSharp, and the objectives read off the results through the objective registry. The candidate's fidelity rung says
/// how it trains (the rung's steps and seeds; without rungs, each task's own steps and one seed); a promoted candidate
/// (rung above 0) skips the rejection stages, which it passed at the lowest rung. It runs synchronously on the
/// calling slot thread (the worker's <see cref="EvaluationSlots"/> already give each slot its own thread), so no work is
/// queued twice. It keeps no state between candidates: the chain is made per candidate (cheap: settings and stages).
/// </summary>
public sealed class TorchCandidateScorer(torch.Device device) : ICandidateScorer
{
    public torch.Device Device { get; } = device;

    public ValueTask<CandidateOutcome> ScoreAsync(Guid jobId, Evolution.Candidate candidate, SearchSpace space, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(space);
        var fidelity = space.Evolution.Fidelity;
        if (candidate.Rung < 0 || candidate.Rung >= fidelity.Count)
            return ValueTask.FromResult<CandidateOutcome>(new CandidateOutcome.Failed(
                $"Candidate {candidate.Id} came at fidelity rung {candidate.Rung}; the search space has {fidelity.Count} rung(s)."));
        var rung = fidelity.Rung(candidate.Rung);
        var evaluator = new CandidateEvaluator(Device, candidate.Rung == 0 ? Settings(space) : Promoted);
        var plan = PlanFor(space, rung);
        bool layer = space.Kind == SearchSpaceKind.Layer;
        var result = evaluator.Evaluate(new ChainCandidate(candidate.Genome, layer), plan, cancellation);
        // The lowest rung as EvoNorms' quality probe: its own training decides, nothing is trained twice.
        if (rung.MinAccuracy is { } min && result.Outcome is EvaluationOutcome.Evaluated e && RungQuality.Check(e.Scores.Results, min) is { } why)
            return ValueTask.FromResult<CandidateOutcome>(new CandidateOutcome.Rejected(StageNames.Quality, why));
        return ValueTask.FromResult(ToOutcome(result.Outcome, candidate.Genome, space.Evolution.Objectives));
    }

    /// <summary>What a candidate at <paramref name="rung"/> trains: the space's tasks from its seed, at the rung's steps, seeds and data.</summary>
    public static EvaluationPlan PlanFor(SearchSpace space, FidelityRung rung) =>
        new() { Tasks = space.Tasks, Seeds = rung.Seeds, FirstSeed = space.Seed, Steps = rung.Steps, FullData = rung.FullData };

    /// <summary>
    /// The search space's rejection settings as a worker runs them: the space's own, with the quality probe seeded by the
    /// job's seed and the duplicate stage off. A job's engine answers functional duplicates from its own fingerprint
    /// cache before dispatch (the space's rejection.duplicate settings size that cache; they show as cache hits). A
    /// worker's memory would depend on which candidates that worker happened to get: with two workers one seed gave
    /// two searches.
    /// </summary>
    public static RejectionChainSettings Settings(SearchSpace space) => space.Rejection with
    {
        Duplicate = space.Rejection.Duplicate with { Enabled = false },
        Quality = space.Rejection.Quality with { Seed = space.Seed },
    };

    /// <summary>
    /// A promoted candidate's chain: every rejection stage off (it passed them at the lowest rung), only the training of
    /// its rung.
    /// </summary>
    public static RejectionChainSettings Promoted { get; } = new()
    {
        Static = new() { Enabled = false },
        Numeric = new() { Enabled = false },
        Duplicate = new() { Enabled = false },
        Stability = new() { Enabled = false },
        Quality = new() { Enabled = false },
    };

    /// <summary>The chain's outcome as the engine takes it: objective values in the space's objective order.</summary>
    public static CandidateOutcome ToOutcome(EvaluationOutcome outcome, Expr genome, ImmutableArray<Objective> objectives) => outcome switch
    {
        EvaluationOutcome.Rejected r => new CandidateOutcome.Rejected(r.Stage, r.Reason),
        EvaluationOutcome.Failed f => new CandidateOutcome.Failed(f.Error),
        EvaluationOutcome.Cancelled => CandidateOutcome.Cancelled.Instance,
        EvaluationOutcome.Evaluated e => ObjectiveRegistry.TryMeasure(
            objectives, Canonicalizer.Canonicalize(genome), e.Scores.Results, e.Scores.Latency, "The TorchSharp scorer", out var values, out var error)
            ? new CandidateOutcome.Evaluated(values)
            : new CandidateOutcome.Failed(error!),
        _ => new CandidateOutcome.Failed($"Unknown evaluation outcome {outcome.GetType().Name}."),
    };
}
