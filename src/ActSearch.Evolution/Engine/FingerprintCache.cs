using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// What the cache is keyed by: the functional fingerprint and the number of learnable parameters, because
/// x * sigmoid(v0 * x) at v0 = 1 computes x * sigmoid(x) but trains into something else; and the fidelity rung, because
/// a function trained longer scores otherwise.
/// </summary>
public readonly record struct CacheKey(Fingerprint Fingerprint, int Parameters, int Rung = 0)
{
    public static CacheKey Of(Candidate c) => new(c.Fingerprint, c.Genome.ParameterCount(), c.Rung);
}

/// <summary>
/// AutoML-Zero's functional-equivalence cache: outcomes by fingerprint, least recently used evicted first.
/// Not thread-safe (the engine owns it).
/// </summary>
public sealed class FingerprintCache
{
    private readonly Dictionary<CacheKey, LinkedListNode<KeyValuePair<CacheKey, CandidateOutcome>>> _map = [];
    private readonly LinkedList<KeyValuePair<CacheKey, CandidateOutcome>> _order = new(); // first = least recent

    public FingerprintCache(int capacity) => Capacity = Math.Max(0, capacity);

    public int Capacity { get; }

    public int Count => _map.Count;

    public bool TryGet(CacheKey key, out CandidateOutcome outcome)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddLast(node);
            outcome = node.Value.Value;
            return true;
        }
        outcome = null!;
        return false;
    }

    public void Put(CacheKey key, CandidateOutcome outcome)
    {
        if (Capacity == 0) return;
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            node.Value = new(key, outcome);
            _order.AddLast(node);
            return;
        }
        if (_map.Count >= Capacity)
        {
            var oldest = _order.First!;
            _order.RemoveFirst();
            _map.Remove(oldest.Value.Key);
        }
        _map[key] = _order.AddLast(new KeyValuePair<CacheKey, CandidateOutcome>(key, outcome));
    }

    /// <summary>Entries from least to most recently used (the order <see cref="Put"/> must replay them in).</summary>
    public IEnumerable<KeyValuePair<CacheKey, CandidateOutcome>> Entries => _order;
}
