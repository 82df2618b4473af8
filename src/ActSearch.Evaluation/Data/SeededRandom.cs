namespace ActSearch.Evaluation.Data;

/// <summary>
/// SplitMix64: a tiny generator whose sequence is fixed by its definition, so committed data subsets and
/// splits can be regenerated bit for bit on any runtime (System.Random's seeded sequence is not a contract).
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, bound) by rejection (no modulo bias).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong b = (ulong)bound, limit = ulong.MaxValue - ulong.MaxValue % b;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(r % b);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box-Muller, one draw of the pair).</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());

    /// <summary>Fisher-Yates shuffle in place (from the last element down, each swapped with a uniform earlier one).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
