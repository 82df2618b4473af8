namespace ActSearch.Evolution;

/// <summary>
/// Scores candidates: the engine's only way to evaluation (proxy training, curve fitting). Returns one
/// outcome per candidate, in the batch's order. A scorer that throws fails the whole batch.
/// </summary>
public interface IScorer
{
    ValueTask<IReadOnlyList<CandidateOutcome>> ScoreAsync(IReadOnlyList<Candidate> batch, CancellationToken cancellation);
}

/// <summary>How many candidates ended each way, and how many the scorer saw.</summary>
public sealed record EngineStatistics(
    long Scored, long CacheHits, long Evaluated, long Rejected, long Failed, long Cancelled, int GenerationsCompleted);

/// <summary>
/// One fidelity rung of a search (<see cref="EvolutionEngine.Rungs"/>): what it trains, hand-outs a scorer answered there,
/// candidates evaluated there, candidates promoted from it.
/// </summary>
public sealed record RungStatistics(int Rung, FidelityRung Fidelity, long Scored, long Evaluated, long Promoted);

/// <summary>What <see cref="EvolutionEngine.RunAsync"/> returns.</summary>
public sealed record EvolutionReport(EngineStatistics Statistics, IReadOnlyList<Member> Front, IReadOnlyList<Member> Population, TimeSpan Elapsed);
