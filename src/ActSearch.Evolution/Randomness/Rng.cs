namespace ActSearch.Evolution;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through splitmix64. Small, fast, and its whole state is four
/// numbers, so a checkpoint can store it and a resumed search draws exactly the numbers it would have drawn.
/// The engine never touches <see cref="Random.Shared"/>: every random choice flows from one of these.
/// Not thread-safe: one generator per job (or per thread).
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        // splitmix64 spreads any seed (0 included) over the four words; xoshiro must not start all-zero.
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private Rng(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException("A generator state is four 64-bit words.", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("An all-zero state is not a xoshiro state.", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    /// <summary>Restores a generator from <see cref="ExportState"/>.</summary>
    public static Rng FromState(ReadOnlySpan<ulong> state) => new(state);

    /// <summary>The four state words; <see cref="FromState"/> continues the exact sequence.</summary>
    public ulong[] ExportState() => [_s0, _s1, _s2, _s3];

    /// <summary>An independent generator for a sub-task (seeded from this one's next output).</summary>
    public Rng Fork() => new(NextUInt64());

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double NextDouble(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, max), without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        ulong range = (ulong)max;
        UInt128 m = (UInt128)NextUInt64() * range;
        ulong low = (ulong)m;
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold)
            {
                m = (UInt128)NextUInt64() * range;
                low = (ulong)m;
            }
        }
        return (int)(m >> 64);
    }

    /// <summary>Uniform integer in [lo, hi] (both ends included).</summary>
    public int NextInt(int lo, int hi) => hi < lo
        ? throw new ArgumentOutOfRangeException(nameof(hi), hi, "hi must not be below lo.")
        : lo + NextInt(hi - lo + 1);

    public bool NextBool(double probability = 0.5) => NextDouble() < probability;

    /// <summary>Standard normal (Box–Muller; the second value is dropped so the state stays four words).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log never sees 0
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public double NextGaussian(double mean, double sd) => mean + sd * NextGaussian();

    /// <summary>A uniformly chosen element.</summary>
    public T Choose<T>(IReadOnlyList<T> items)
    {
        if (items.Count == 0) throw new ArgumentException("Cannot choose from an empty list.", nameof(items));
        return items[NextInt(items.Count)];
    }

    /// <summary>An index drawn with probability proportional to its (non-negative) weight; -1 when all are 0.</summary>
    public int ChooseWeighted(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (double w in weights)
            if (w > 0) total += w;
        if (total <= 0) return -1;
        double r = NextDouble() * total;
        int last = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            last = i;
            if (r < weights[i]) return i;
            r -= weights[i];
        }
        return last; // rounding left r just above the last weight
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
