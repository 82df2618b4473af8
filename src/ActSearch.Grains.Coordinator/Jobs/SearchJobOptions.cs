using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

/// <summary>How search-job grains dispatch and watch their candidates (coordinator silos).</summary>
public sealed class SearchJobOptions
{
    /// <summary>
    /// How long a dispatched candidate may go unanswered before it is dispatched again (to a new activation,
    /// placed afresh). Must exceed the longest evaluation plus its wait in a worker's queue; a dead worker silo
    /// is noticed sooner, through cluster membership.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "365.00:00:00")]
    public TimeSpan CandidateDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Dispatches per candidate before it ends Failed ("no worker answered").</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often a job checks deadlines, dead silos and its wall-time budget.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "365.00:00:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait before sending again a dispatch that failed (no worker silo, a lost message).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "365.00:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long handing a candidate to a worker may take before the dispatch counts as failed and is sent again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Candidates that fail with the same error, with none trained in between, before the job stops with that error (a
    /// systemic failure: no data, a broken device, no worker), instead of failing every candidate of its budget; 0: never.
    /// </summary>
    [Range(0, 100_000)]
    public int MaxConsecutiveFailures { get; set; } = 5;

    /// <summary>
    /// Stored feature vectors a job with a kept surrogate feature set (the Fisher spectrum) reads when it starts or resumes,
    /// the latest first: about 200 bytes each in memory. Functions beyond them are computed again when met.
    /// </summary>
    [Range(0, 10_000_000)]
    public int StoredFeaturesRead { get; set; } = 100_000;

    /// <summary>Candidates one job keeps at workers at once; 0: the worker slots of the cluster.</summary>
    [Range(0, 100_000)]
    public int MaxInFlight { get; set; }

    /// <summary>
    /// How long a job waits for a database that does not answer, keeping the outcomes that arrive in memory (written, in
    /// order, when it answers). Past it the job lets go of what it holds and deactivates; the supervisor resumes it from
    /// the store once the database is back (see <see cref="WakeInterval"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "365.00:00:00")]
    public TimeSpan StorageOutageWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Whether this coordinator wakes the unfinished jobs in its store (at start and every <see cref="WakeInterval"/>), so
    /// that they resume. <c>actsearch run</c>, which runs one job of its own, turns it off: it must not continue other
    /// jobs of a shared ACTSEARCH_HOME (a killed server's, say) on its training slots.
    /// </summary>
    public bool WakeUnfinishedJobs { get; set; } = true;

    /// <summary>How often a coordinator looks for unfinished jobs in the store and wakes those not running (as it does at start).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "365.00:00:00")]
    public TimeSpan WakeInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long one turn of a job may spend writing outcomes before it lets the calls waiting for it (status reads,
    /// cancel) go first and continues in a turn of its own: a job that settles thousands of duplicates at once (a huge
    /// first generation) stays responsive.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxTurn { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The share of a steady-state job's time that its checkpoints may take: a boundary's checkpoint is written only once
    /// the time since the last one is at least that one's cost divided by this (the front and the job row are written at
    /// every boundary). A checkpoint holds the whole engine (the population, every rung's scores, the fingerprint cache),
    /// so writing one every few candidates costs O(n) each and O(n^2) in all; resume does not need them to be frequent, as
    /// it replays the outcomes recorded after the latest in their order. 1: at every boundary. Generational jobs write
    /// one at every generation regardless (their resume starts on a generation boundary).
    /// </summary>
    [Range(0.001, 1.0)]
    public double CheckpointTimeShare { get; set; } = 0.05;

    /// <summary>How long a progress subscription lasts without being renewed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "365.00:00:00")]
    public TimeSpan ObserverExpiry { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Checks <see cref="SearchJobOptions"/> at silo start (generated from the attributes).</summary>
[OptionsValidator]
internal sealed partial class SearchJobOptionsValidator : IValidateOptions<SearchJobOptions>;
