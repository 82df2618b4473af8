using System.Collections.Concurrent;
using ActSearch.Expressions;

namespace ActSearch.Evaluation.Rejection;

/// <summary>
/// The functional-equivalence cache the duplicate check consults (AutoML-Zero's): candidate keys
/// (<see cref="FunctionalKey"/>) mapped to the canonical text of the first candidate seen with that key.
/// Implementations are thread-safe. A job shares one cache across its workers; a process-wide default or a
/// storage-backed one can be injected.
/// </summary>
public interface IFingerprintCache
{
    /// <summary>
    /// Records <paramref name="canonical"/> under <paramref name="key"/> unless the key is known; returns the canonical
    /// text already stored for it (the candidate is a duplicate) or null (it was new and is now recorded).
    /// </summary>
    string? TryAdd(Fingerprint key, string canonical);

    bool Contains(Fingerprint key);

    int Count { get; }
}

/// <summary>A thread-safe in-memory <see cref="IFingerprintCache"/> that forgets the least recently used keys beyond its capacity.</summary>
public sealed class FingerprintCache(int capacity = 100_000) : IFingerprintCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Fingerprint, LinkedListNode<(Fingerprint Key, string Canonical)>> _map = [];
    private readonly LinkedList<(Fingerprint Key, string Canonical)> _order = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    public int Count
    {
        get
        {
            lock (_gate) return _map.Count;
        }
    }

    public bool Contains(Fingerprint key)
    {
        lock (_gate) return _map.ContainsKey(key);
    }

    public string? TryAdd(Fingerprint key, string canonical)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return node.Value.Canonical;
            }
            _map[key] = _order.AddFirst((key, canonical));
            if (_map.Count > Capacity)
            {
                _map.Remove(_order.Last!.Value.Key);
                _order.RemoveLast();
            }
            return null;
        }
    }
}

/// <summary>
/// Stage 3: a candidate whose key is already in the cache is a duplicate ("already evaluated as x * sigmoid(x)").
/// A new key is recorded when the candidate passes this stage, before its (long) training, so two workers never
/// train the same function at once; the first candidate's own outcome is stored with it.
/// </summary>
public sealed class DuplicateCheck(IFingerprintCache cache) : IRejectionStage
{
    public string Name => StageNames.Duplicate;

    public IFingerprintCache Cache { get; } = cache;

    public string? Check(ChainCandidate candidate, CancellationToken cancellation) =>
        Cache.TryAdd(candidate.Key, candidate.ToString()) is { } first ? $"already evaluated as {first}" : null;
}
