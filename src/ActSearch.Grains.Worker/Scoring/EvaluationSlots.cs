using System.Collections.Concurrent;
using System.Diagnostics;
using ActSearch.Evolution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

/// <summary>
/// A worker silo's evaluation slots: one dedicated background thread per slot takes queued candidates in order
/// and runs the scorer on them. Scoring never runs on Orleans' scheduler threads (which must stay free for grain
/// messages), and TorchSharp gets a stable thread per slot. Thread-safe.
/// </summary>
public sealed partial class EvaluationSlots : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue = [];
    private readonly ICandidateScorer _scorer;
    private readonly SearchSpaceCache _spaces;
    private readonly ILogger<EvaluationSlots> _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread[] _threads;
    private int _busy;

    public EvaluationSlots(IOptions<EvaluationWorkerOptions> options, ICandidateScorer scorer, SearchSpaceCache spaces, ILogger<EvaluationSlots> log)
    {
        _scorer = scorer;
        _spaces = spaces;
        _log = log;
        Slots = options.Value.Slots;
        _threads = new Thread[Slots];
        for (int i = 0; i < Slots; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"actsearch-slot-{i}" };
            _threads[i].Start();
        }
    }

    public int Slots { get; }

    /// <summary>Slots and the candidates held (running and queued).</summary>
    public WorkerLoad Load => new(Slots, Volatile.Read(ref _busy));

    /// <summary>Queues a candidate; the task ends with its outcome (never faults: errors become Failed, cancellation Cancelled).</summary>
    public Task<(CandidateOutcome Outcome, TimeSpan Elapsed)> Enqueue(EvaluationRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        var item = new WorkItem(request, cancellation);
        Interlocked.Increment(ref _busy);
        try
        {
            _queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Decrement(ref _busy);
            item.Done.TrySetResult((CandidateOutcome.Cancelled.Instance, TimeSpan.Zero)); // the silo is stopping
        }
        return item.Done.Task;
    }

    private void Run()
    {
        try
        {
            foreach (var item in _queue.GetConsumingEnumerable(_stopping.Token))
            {
                var clock = Stopwatch.StartNew();
                var outcome = Score(item);
                Interlocked.Decrement(ref _busy);
                item.Done.TrySetResult((outcome, clock.Elapsed));
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private CandidateOutcome Score(WorkItem item)
    {
        var r = item.Request;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(item.Cancellation, _stopping.Token);
        if (linked.IsCancellationRequested) return CandidateOutcome.Cancelled.Instance;
        try
        {
            var space = _spaces.Get(r.SpaceYaml, r.SpaceFileName, r.Seed);
            // A dedicated slot thread may block: waiting here keeps the scorer's work on this thread.
            return _scorer.ScoreAsync(r.JobId, r.Candidate, space, linked.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            return CandidateOutcome.Cancelled.Instance;
        }
        catch (Exception e)
        {
            LogScoringFailed(r.JobId, r.Candidate.Id, e);
            return new CandidateOutcome.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _stopping.Cancel();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5)); // a scorer that ignores cancellation is left behind (background thread)
        while (_queue.TryTake(out var left)) left.Done.TrySetResult((CandidateOutcome.Cancelled.Instance, TimeSpan.Zero));
        _stopping.Dispose();
        _queue.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scoring candidate {CandidateId} of job {JobId} failed.")]
    private partial void LogScoringFailed(Guid jobId, long candidateId, Exception error);

    private sealed class WorkItem(EvaluationRequest request, CancellationToken cancellation)
    {
        public EvaluationRequest Request { get; } = request;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<(CandidateOutcome, TimeSpan)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
