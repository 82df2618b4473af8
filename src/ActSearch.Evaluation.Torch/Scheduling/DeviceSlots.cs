using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Scheduling;

/// <summary>
/// Evaluation slots on one device: <see cref="Count"/> long-running threads, each with its own libtorch thread count,
/// taking jobs from one queue in order. A job is a synchronous function that runs start to finish on a slot's thread,
/// so its dispose scopes never span an await; callers await the returned task. On a worker silo there is one
/// <see cref="DeviceSlots"/> per device (<c>ACTSEARCH_SLOTS</c> slots).
/// </summary>
public sealed class DeviceSlots : IDisposable
{
    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread[] _threads;
    private int _running;

    /// <param name="device">Where the jobs' tensors live.</param>
    /// <param name="slots">Jobs run at once.</param>
    /// <param name="threadsPerSlot">libtorch intra-op threads of each slot, set on the slot's own thread (the CPU
    /// backend's OpenMP keeps the setting per thread; libtorch also takes the last value set as the default for
    /// threads that have not used it yet).</param>
    public DeviceSlots(Device device, int slots = 1, int threadsPerSlot = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadsPerSlot);
        Device = device;
        ThreadsPerSlot = threadsPerSlot;
        _threads = new Thread[slots];
        for (int i = 0; i < slots; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"actsearch-slot-{device}-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>
    /// <paramref name="slots"/> slots on <paramref name="device"/>, with the machine's cores shared out evenly among them
    /// on the CPU (one libtorch thread each on a GPU). Hosts pass their validated settings (ACTSEARCH_DEVICE, ACTSEARCH_SLOTS).
    /// </summary>
    public static DeviceSlots For(Device device, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        int threads = device.type == DeviceType.CPU ? Math.Max(1, Environment.ProcessorCount / slots) : 1;
        return new DeviceSlots(device, slots, threads);
    }

    public Device Device { get; }

    public int Count => _threads.Length;

    public int ThreadsPerSlot { get; }

    /// <summary>Jobs running right now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Jobs waiting for a slot.</summary>
    public int Queued => _queue.Count;

    /// <summary>
    /// Queues <paramref name="job"/>; it runs on the next free slot's thread. Cancelled before it starts, the task is
    /// cancelled without running it; once started, the job sees <paramref name="cancellation"/> itself.
    /// </summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, T> job, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_queue.IsAddingCompleted, this);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add(() =>
        {
            if (cancellation.IsCancellationRequested)
            {
                done.TrySetCanceled(cancellation);
                return;
            }
            Interlocked.Increment(ref _running);
            try
            {
                done.TrySetResult(job(cancellation));
            }
            catch (OperationCanceledException e) when (cancellation.IsCancellationRequested)
            {
                done.TrySetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }, CancellationToken.None);
        return done.Task;
    }

    private void Work()
    {
        // libtorch initializes a thread's OpenMP setting from its process-wide value on the thread's first use, so
        // touch it first; the setting made afterwards stays this thread's own.
        torch.get_num_threads();
        torch.set_num_threads(ThreadsPerSlot);
        foreach (var job in _queue.GetConsumingEnumerable()) job();
    }

    /// <summary>Lets queued jobs finish, then ends the slot threads.</summary>
    public void Dispose()
    {
        if (_queue.IsAddingCompleted) return;
        _queue.CompleteAdding();
        foreach (var t in _threads)
            if (t != Thread.CurrentThread) t.Join();
        _queue.Dispose();
    }
}
