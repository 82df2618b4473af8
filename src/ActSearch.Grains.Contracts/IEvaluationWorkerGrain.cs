using System.Globalization;
using ActSearch.Evolution;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace ActSearch.Grains;

/// <summary>
/// Scores one dispatched candidate on the worker silo it is placed on (key: <see cref="EvaluationKey.For"/>, one
/// activation per candidate, attempt and genome). <see cref="Evaluate"/> only queues the work on the silo's slots and
/// returns; the outcome goes back to the job with <see cref="ISearchJobGrain.ReportOutcome"/>, so evaluations of
/// any length never meet Orleans' call timeout.
/// </summary>
[Alias("ActSearch.IEvaluationWorkerGrain")]
public interface IEvaluationWorkerGrain : IGrainWithStringKey
{
    /// <summary>Accepts the candidate (idempotent per key) and says where it runs and how busy that silo is.</summary>
    [Alias("Evaluate")]
    Task<EvaluationAccepted> Evaluate(EvaluationRequest request);

    /// <summary>Best effort: a queued candidate is dropped, a running one is asked to stop; it reports Cancelled.</summary>
    [OneWay, Alias("Cancel")]
    Task Cancel();
}

/// <summary>What a worker needs to score a candidate: the job's search space travels as its YAML text (workers cache the parsed space).</summary>
[GenerateSerializer, Immutable, Alias("ActSearch.EvaluationRequest.v1")]
public sealed record EvaluationRequest(Guid JobId, int Attempt, Candidate Candidate, string SpaceYaml, string SpaceFileName, ulong Seed);

/// <summary>How busy a worker silo is: its slots and the candidates it holds (running and queued).</summary>
[GenerateSerializer, Immutable, Alias("ActSearch.WorkerLoad.v1")]
public readonly record struct WorkerLoad(int Slots, int Busy)
{
    public int Free => Math.Max(0, Slots - Busy);
}

[GenerateSerializer, Immutable, Alias("ActSearch.EvaluationAccepted.v1")]
public sealed record EvaluationAccepted(SiloAddress Silo, WorkerLoad Load);

/// <summary>A candidate's outcome at fidelity rung <paramref name="Rung"/> from attempt <paramref name="Attempt"/>, scored on <paramref name="Silo"/>.</summary>
[GenerateSerializer, Immutable, Alias("ActSearch.EvaluationReport.v1")]
public sealed record EvaluationReport(
    long CandidateId,
    ulong Fingerprint,
    int Attempt,
    CandidateOutcome Outcome,
    SiloAddress Silo,
    WorkerLoad Load,
    TimeSpan Elapsed,
    int Rung = 0);

/// <summary>
/// Keys of evaluation worker activations: one per job, candidate, fidelity rung, attempt and genome, so a re-dispatch and a
/// promotion are placed afresh (the lowest rung's keys carry no rung). The genome's fingerprint is part of the key because
/// a steady-state job that resumes breeds the candidates that were in flight at its stop again under their ids, from the
/// population as it stands then: another genome under the same id and attempt must not reach the activation that still
/// holds (and would answer with) the first one's outcome. The same genome bred again does reach it, and its outcome counts.
/// </summary>
public static class EvaluationKey
{
    public static string For(Guid jobId, Candidate candidate, int attempt)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ulong genome = candidate.Fingerprint.Value;
        return candidate.Rung == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{jobId:N}/{candidate.Id}/{attempt}/{genome:x16}")
            : string.Create(CultureInfo.InvariantCulture, $"{jobId:N}/{candidate.Id}@{candidate.Rung}/{attempt}/{genome:x16}");
    }
}
