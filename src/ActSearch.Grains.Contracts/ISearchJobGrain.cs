using Orleans.Concurrency;

namespace ActSearch.Grains;

/// <summary>
/// One search job (key: the job id). It owns the evolution engine, dispatches candidates to evaluation workers,
/// applies their outcomes, checkpoints every generation and stops on its budget or on <see cref="Cancel"/>.
/// Every call is short: evaluations run on worker silos and come back through <see cref="ReportOutcome"/>.
/// </summary>
[Alias("ActSearch.ISearchJobGrain")]
public interface ISearchJobGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Starts the job. The search space is validated first (<see cref="ArgumentException"/> with file:line:column
    /// errors). Submitting the same spec again returns the status (a retried call is harmless); another spec throws.
    /// </summary>
    [Alias("Submit")]
    Task<JobStatus> Submit(JobSpec spec);

    /// <summary>Stops handing out candidates; candidates already at workers still report and are applied.</summary>
    [Alias("Pause")]
    Task<JobStatus> Pause();

    [Alias("Resume")]
    Task<JobStatus> Resume();

    /// <summary>Ends the job: candidates in flight end Cancelled now; their late reports are ignored.</summary>
    [Alias("Cancel")]
    Task<JobStatus> Cancel();

    [Alias("GetStatus")]
    Task<JobStatus> GetStatus();

    /// <summary>
    /// Progress pushed to an observer: the status after every generation and every change of state. Subscriptions
    /// expire (see the grain's options); an observer that wants to keep listening subscribes again periodically.
    /// </summary>
    [Alias("Subscribe")]
    Task Subscribe(IJobObserver observer);

    [Alias("Unsubscribe")]
    Task Unsubscribe(IJobObserver observer);

    /// <summary>
    /// A worker's outcome for one candidate. The first outcome of a candidate counts; later ones (a re-dispatched
    /// copy, a retried call) are ignored, so every candidate ends with exactly one outcome.
    /// </summary>
    [Alias("ReportOutcome")]
    Task ReportOutcome(EvaluationReport report);
}

/// <summary>Receives a job's progress (an Orleans grain observer: works without any stream or storage provider).</summary>
[Alias("ActSearch.IJobObserver")]
public interface IJobObserver : IGrainObserver
{
    [OneWay, Alias("OnJobChanged")]
    Task OnJobChanged(JobStatus status);
}
