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

/// <summary>What <see cref="EvolutionEngine.RunAsync"/> returns.</summary>
public sealed record EvolutionReport(EngineStatistics Statistics, IReadOnlyList<Member> Front, IReadOnlyList<Member> Population, TimeSpan Elapsed);
