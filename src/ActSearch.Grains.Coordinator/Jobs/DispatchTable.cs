using ActSearch.Evolution;

namespace ActSearch.Grains;

/// <summary>A candidate at a worker: the attempt its worker key names, its deadline, the silo that accepted it.</summary>
public sealed class Dispatch(Candidate candidate)
{
    public Candidate Candidate { get; } = candidate;

    /// <summary>Which dispatch this is (0 first); the worker grain's key names it, so each attempt is a new activation.</summary>
    public int Attempt { get; internal set; }

    /// <summary>When the dispatch is due for attention, in <see cref="TimeProvider"/> timestamps.</summary>
    public long Deadline { get; internal set; }

    /// <summary>The worker silo that accepted the current attempt; null until one did.</summary>
    public SiloAddress? Silo { get; internal set; }

    /// <summary>The last send failed; the same attempt goes out again at the deadline.</summary>
    public bool Resend { get; internal set; }
}

/// <summary>What to do with a worker's report.</summary>
public enum ReportDecision
{
    /// <summary>The candidate has its outcome already (a re-dispatched copy, a retried report) or is unknown: drop it.</summary>
    Ignore,

    /// <summary>The outcome counts: the candidate left the table; record it and tell the engine.</summary>
    Accept,

    /// <summary>The worker gave the current attempt back (its silo is stopping): it is dispatched again on the next tick.</summary>
    Redispatch,
}

/// <summary>An earlier attempt of a candidate, to cancel at its worker (the worker key names the attempt).</summary>
public sealed record OldAttempt(Candidate Candidate, int Attempt);

/// <summary>
/// What a tick decided: dispatches to send (again; failed sends and redispatches), old attempts to cancel, candidates
/// to give up on, and for each redispatch why (its silo died, its deadline passed).
/// </summary>
public sealed record TickPlan(
    IReadOnlyList<Dispatch> Send, IReadOnlyList<OldAttempt> CancelOld, IReadOnlyList<(Dispatch Dispatch, string Reason)> GiveUp,
    IReadOnlyList<(Dispatch Dispatch, string Why)> Redispatched);

/// <summary>
/// The candidates of one job that are at workers, and the rules that give each exactly one outcome: only a candidate in
/// the table can take an outcome, and taking it removes it; a dispatch whose deadline passed or whose silo died goes
/// out again as the next attempt (a new worker activation), the old attempt cancelled; after
/// <see cref="SearchJobOptions.MaxAttempts"/> it is given up; a send that failed is retried with the same attempt after
/// <see cref="SearchJobOptions.RetryDelay"/> without using one up. Plain and single-threaded (the job grain owns it),
/// with time passed in, so every rule is tested without a cluster.
/// </summary>
public sealed class DispatchTable(SearchJobOptions options, TimeProvider time)
{
    private readonly Dictionary<long, Dispatch> _inFlight = [];

    public int Count => _inFlight.Count;

    /// <summary>Redispatches so far (deadlines passed, silos died).</summary>
    public long Redispatched { get; private set; }

    /// <summary>Puts a new candidate in the table (attempt 0), to be sent.</summary>
    public Dispatch Add(Candidate candidate)
    {
        var d = new Dispatch(candidate);
        _inFlight[candidate.Id] = d;
        return d;
    }

    /// <summary>A send of <paramref name="d"/> starts now: its deadline is the candidate deadline from now, its silo unknown.</summary>
    public int Sending(Dispatch d)
    {
        d.Deadline = After(options.CandidateDeadline);
        d.Silo = null;
        return d.Attempt;
    }

    /// <summary>A worker on <paramref name="silo"/> accepted attempt <paramref name="attempt"/> (ignored when a newer attempt went out since).</summary>
    public void Accepted(Dispatch d, int attempt, SiloAddress silo)
    {
        if (d.Attempt == attempt) d.Silo = silo;
    }

    /// <summary>The send failed (no worker silo, a lost message): the same attempt goes out again after the retry delay.</summary>
    public void SendFailed(Dispatch d)
    {
        d.Deadline = After(options.RetryDelay);
        d.Resend = true;
    }

    /// <summary>Decides on a worker's report; <see cref="ReportDecision.Accept"/> removes the candidate and gives its dispatch.</summary>
    public ReportDecision OnReport(EvaluationReport report, out Dispatch? dispatch)
    {
        ArgumentNullException.ThrowIfNull(report);
        dispatch = null;
        if (!_inFlight.TryGetValue(report.CandidateId, out var d) || d.Candidate.Fingerprint.Value != report.Fingerprint || d.Candidate.Rung != report.Rung)
            return ReportDecision.Ignore; // already has its outcome, or from before a resume, or of another rung
        if (report.Outcome is CandidateOutcome.Cancelled)
        {
            // The job did not cancel it: the worker silo is stopping, or this attempt was superseded.
            if (report.Attempt != d.Attempt) return ReportDecision.Ignore;
            d.Deadline = 0; // dispatch it again on the next tick
            return ReportDecision.Redispatch;
        }
        _inFlight.Remove(report.CandidateId);
        dispatch = d;
        return ReportDecision.Accept;
    }

    /// <summary>
    /// What is due now, in candidate id order: failed sends go out again as they were; dispatches past their deadline or
    /// on a dead silo go out as their next attempt (the old one to cancel when its silo lives), or, out of attempts, are
    /// removed and given up with the reason.
    /// </summary>
    public TickPlan Tick(Func<SiloAddress, bool> isDead)
    {
        ArgumentNullException.ThrowIfNull(isDead);
        long now = time.GetTimestamp();
        List<Dispatch> send = [];
        List<OldAttempt> cancel = [];
        List<(Dispatch, string)> giveUp = [], redispatched = [];
        foreach (var d in _inFlight.Values.OrderBy(d => d.Candidate.Id).ToList())
        {
            bool lost = d.Silo is { } s && isDead(s);
            if (now < d.Deadline && !lost) continue;
            if (d.Resend)
            {
                d.Resend = false;
                send.Add(d);
                continue;
            }
            if (d.Attempt + 1 >= options.MaxAttempts)
            {
                _inFlight.Remove(d.Candidate.Id);
                giveUp.Add((d, $"No worker reported after {d.Attempt + 1} dispatches."));
                continue;
            }
            if (d.Silo is not null && !lost) cancel.Add(new OldAttempt(d.Candidate, d.Attempt));
            d.Attempt++;
            Redispatched++;
            send.Add(d);
            redispatched.Add((d, lost ? "its worker silo died" : "its deadline passed"));
        }
        return new TickPlan(send, cancel, giveUp, redispatched);
    }

    /// <summary>Empties the table (the job is cancelled or failed): every dispatch, in candidate id order.</summary>
    public IReadOnlyList<Dispatch> TakeAll()
    {
        var all = _inFlight.Values.OrderBy(d => d.Candidate.Id).ToList();
        _inFlight.Clear();
        return all;
    }

    private long After(TimeSpan delay) => time.GetTimestamp() + (long)(delay.TotalSeconds * time.TimestampFrequency);
}
