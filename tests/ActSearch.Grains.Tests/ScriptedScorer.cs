using System.Collections.Concurrent;
using ActSearch.Evolution;
using ActSearch.SearchSpaces;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace ActSearch.Grains.Tests;

/// <summary>What the test scorer does for one job: slow down every candidate, swallow one candidate's first dispatch, hold every candidate on one silo.</summary>
internal sealed class Script
{
    private int _swallowed;

    public TimeSpan Delay { get; init; }

    public long? SwallowOnce { get; init; }

    /// <summary>Every candidate fails with this error (a systemic failure, as a missing data folder gives); null: none does.</summary>
    public string? FailAll { get; init; }

    /// <summary>Candidates promoted to this fidelity rung fail with <see cref="FailAll"/> (its full data is missing, say); the rungs below train.</summary>
    public int? FailAtRung { get; init; }

    /// <summary>Candidates scored on this silo never finish (unless cancelled): they are in flight when it dies.</summary>
    public SiloAddress? HoldOn { get; set; }

    public bool TrySwallow(long candidateId) => SwallowOnce == candidateId && Interlocked.Exchange(ref _swallowed, 1) == 0;
}

/// <summary>
/// The real CPU curve-fit scorer, with per-job scripts for the tests and a record of where each candidate was
/// scored. It runs on the worker silos' slot threads like any scorer.
/// </summary>
internal sealed class ScriptedScorer(IOptions<CurveFitScorerOptions> options, ILocalSiloDetails silo) : ICandidateScorer
{
    private static readonly ConcurrentDictionary<(Guid Job, SiloAddress Silo), int> s_active = new();

    private readonly CurveFitCandidateScorer _inner = new(options);

    public static ConcurrentDictionary<Guid, Script> Scripts { get; } = new();

    public static ConcurrentDictionary<Guid, ConcurrentQueue<(long Candidate, SiloAddress Silo)>> Calls { get; } = new();

    /// <summary>Candidates of a job being scored right now, on all worker silos or on one.</summary>
    public static int Active(Guid jobId, SiloAddress? silo = null) =>
        s_active.Where(kv => kv.Key.Job == jobId && (silo is null || kv.Key.Silo.Equals(silo))).Sum(kv => kv.Value);

    public async ValueTask<CandidateOutcome> ScoreAsync(Guid jobId, Candidate candidate, SearchSpace space, CancellationToken cancellation)
    {
        var key = (jobId, silo.SiloAddress);
        s_active.AddOrUpdate(key, 1, (_, n) => n + 1);
        try
        {
            Calls.GetOrAdd(jobId, _ => new()).Enqueue((candidate.Id, silo.SiloAddress));
            if (Scripts.TryGetValue(jobId, out var script))
            {
                if (script.TrySwallow(candidate.Id) || silo.SiloAddress.Equals(script.HoldOn))
                    await Task.Delay(Timeout.Infinite, cancellation); // never reports unless cancelled
                if (script.Delay > TimeSpan.Zero) await Task.Delay(script.Delay, cancellation);
                if (script.FailAll is { } error && (script.FailAtRung is not { } rung || rung == candidate.Rung)) return new CandidateOutcome.Failed(error);
            }
            return _inner.Score(candidate, space);
        }
        finally
        {
            s_active.AddOrUpdate(key, 0, (_, n) => n - 1);
        }
    }
}
