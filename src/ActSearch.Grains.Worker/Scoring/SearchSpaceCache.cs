using System.Security.Cryptography;
using System.Text;
using ActSearch.SearchSpaces;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

/// <summary>
/// Parsed search spaces on a worker silo, keyed by a hash of their text: candidates carry their job's YAML and
/// the worker parses it once. Least recently used spaces are dropped beyond the configured size. Thread-safe.
/// </summary>
public sealed class SearchSpaceCache(IOptions<EvaluationWorkerOptions> options)
{
    private readonly int _capacity = options.Value.SearchSpaceCacheSize;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, SearchSpace Space)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, SearchSpace Space)> _order = new();

    /// <summary>The space of <paramref name="yaml"/> with the job's seed; throws <see cref="SearchSpaceException"/> when the text is invalid.</summary>
    public SearchSpace Get(string yaml, string fileName, ulong seed)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(fileName + "\n" + yaml)));
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return hit.Value.Space with { Seed = seed };
            }
        }
        var space = SearchSpaceLoader.LoadFromText(yaml, fileName); // outside the lock: parsing takes milliseconds
        lock (_gate)
        {
            if (!_map.ContainsKey(key))
            {
                _map[key] = _order.AddFirst((key, space));
                while (_order.Count > _capacity)
                {
                    _map.Remove(_order.Last!.Value.Key);
                    _order.RemoveLast();
                }
            }
        }
        return space with { Seed = seed };
    }
}
