using ActSearch.Evolution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace ActSearch.Grains;

/// <summary>
/// One dispatched candidate on a worker silo. <see cref="Evaluate"/> queues it on the silo's
/// <see cref="EvaluationSlots"/> and returns at once; when the slot is done, the outcome is reported to the job
/// grain (retried a few times) and the activation goes away. Reentrant so that <see cref="Cancel"/> reaches it
/// while it waits on its report.
/// </summary>
[WorkerPlacement, Reentrant, SiloRole(SiloRoles.Worker)]
internal sealed partial class EvaluationWorkerGrain(
    EvaluationSlots slots,
    ILocalSiloDetails silo,
    IOptions<EvaluationWorkerOptions> options,
    ILogger<EvaluationWorkerGrain> log) : Grain, IEvaluationWorkerGrain
{
    // Long enough for any evaluation; the activation deactivates itself once it has reported.
    private static readonly TimeSpan KeepAliveWhileScoring = TimeSpan.FromDays(1);

    private readonly CancellationTokenSource _cancel = new();
    private EvaluationAccepted? _accepted;
    private EvaluationReport? _report;

    public Task<EvaluationAccepted> Evaluate(EvaluationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_accepted is not null)
        {
            // The same dispatch again: its work is queued or done. A job grain that restarted may have missed the
            // report, so a finished one is sent once more (the job ignores it if it already has the outcome).
            if (_report is not null) _ = ReportAsync(request.JobId, _report);
            return Task.FromResult(_accepted);
        }
        var work = slots.Enqueue(request, _cancel.Token);
        _accepted = new EvaluationAccepted(silo.SiloAddress, slots.Load);
        DelayDeactivation(KeepAliveWhileScoring);
        _ = ReportWhenDoneAsync(request, work); // runs on this activation's scheduler, after this call returns
        return Task.FromResult(_accepted);
    }

    public Task Cancel()
    {
        _cancel.Cancel();
        return Task.CompletedTask;
    }

    private async Task ReportWhenDoneAsync(EvaluationRequest request, Task<(CandidateOutcome Outcome, TimeSpan Elapsed)> work)
    {
        var (outcome, elapsed) = await work;
        var c = request.Candidate;
        _report = new EvaluationReport(c.Id, c.Fingerprint.Value, request.Attempt, outcome, silo.SiloAddress, slots.Load, elapsed, c.Rung);
        await ReportAsync(request.JobId, _report);
        DeactivateOnIdle();
    }

    private async Task ReportAsync(Guid jobId, EvaluationReport report)
    {
        var job = GrainFactory.GetGrain<ISearchJobGrain>(jobId);
        int retries = options.Value.ReportRetries;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await job.ReportOutcome(report);
                break;
            }
            catch (Exception e) when (attempt < retries)
            {
                LogReportRetry(jobId, report.CandidateId, attempt + 1, e);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (1 << Math.Min(attempt, 6))));
            }
            catch (Exception e)
            {
                // The job grain re-dispatches the candidate after its deadline.
                LogReportLost(jobId, report.CandidateId, e);
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reporting candidate {CandidateId} of job {JobId} failed (try {Try}); retrying.")]
    private partial void LogReportRetry(Guid jobId, long candidateId, int @try, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up reporting candidate {CandidateId} of job {JobId}; the job will dispatch it again.")]
    private partial void LogReportLost(Guid jobId, long candidateId, Exception error);
}
