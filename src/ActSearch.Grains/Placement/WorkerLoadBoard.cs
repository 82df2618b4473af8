using Orleans.Runtime;

namespace ActSearch.Grains;

/// <summary>
/// What this silo knows of each worker silo's load, for placement. Workers report their load with every
/// acceptance and every outcome; placements made since a silo's last report count as busy until acknowledged
/// (or until they are <see cref="PendingLifetime"/> old: an acknowledgement that never came). The view is
/// per silo and best effort: it only steers placement, never correctness. Thread-safe.
/// </summary>
public sealed class WorkerLoadBoard(TimeProvider? time = null)
{
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<SiloAddress, Entry> _silos = [];

    /// <summary>
    /// Chooses among <paramref name="silos"/> (worker silos with their slot counts) the one with the most free
    /// slots (ties: at random) and counts the placement against it.
    /// </summary>
    public SiloAddress Choose(IReadOnlyList<(SiloAddress Silo, int Slots)> silos)
    {
        if (silos.Count == 0) throw new ArgumentException("No silo to choose from.", nameof(silos));
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            int bestFree = int.MinValue, ties = 0;
            SiloAddress? best = null;
            foreach (var (silo, slots) in silos)
            {
                int free = slots - EntryOf(silo).Busy(now, _time);
                if (free > bestFree)
                {
                    (bestFree, best, ties) = (free, silo, 1);
                }
                else if (free == bestFree && Random.Shared.Next(++ties) == 0)
                {
                    best = silo; // reservoir sampling: each tied silo equally likely
                }
            }
            EntryOf(best!).Pending.Enqueue(now);
            return best!;
        }
    }

    /// <summary>A worker accepted a placed candidate and said how busy it is now.</summary>
    public void Accepted(SiloAddress silo, WorkerLoad load)
    {
        lock (_gate)
        {
            var e = EntryOf(silo);
            e.Pending.TryDequeue(out _);
            e.Reported = load.Busy;
        }
    }

    /// <summary>A worker reported an outcome and its load after it.</summary>
    public void Reported(SiloAddress silo, WorkerLoad load)
    {
        lock (_gate) EntryOf(silo).Reported = load.Busy;
    }

    /// <summary>This silo's estimate of the candidates a worker holds.</summary>
    public int BusyEstimate(SiloAddress silo)
    {
        lock (_gate) return EntryOf(silo).Busy(_time.GetTimestamp(), _time);
    }

    private Entry EntryOf(SiloAddress silo)
    {
        if (!_silos.TryGetValue(silo, out var e)) _silos[silo] = e = new Entry();
        return e;
    }

    private sealed class Entry
    {
        public int Reported;
        public readonly Queue<long> Pending = new();

        public int Busy(long now, TimeProvider time)
        {
            while (Pending.TryPeek(out var t) && time.GetElapsedTime(t, now) > PendingLifetime) Pending.Dequeue();
            return Reported + Pending.Count;
        }
    }
}
