using ActSearch.Evolution;
using ActSearch.SearchSpaces;

namespace ActSearch.Grains;

/// <summary>
/// Scores one candidate of a job on a worker silo (registered in the worker silo's services). It runs on one of
/// the silo's dedicated slot threads, never on an Orleans scheduler thread, so it may compute for as long as it
/// needs; <paramref name="cancellation"/> fires when the job is cancelled or the silo stops. It returns one outcome
/// of the closed set (Evaluated with one value per objective of <paramref name="space"/>, Rejected with its stage,
/// Failed); an exception becomes Failed and a cancellation Cancelled.
/// </summary>
public interface ICandidateScorer
{
    ValueTask<CandidateOutcome> ScoreAsync(Guid jobId, Candidate candidate, SearchSpace space, CancellationToken cancellation);
}
