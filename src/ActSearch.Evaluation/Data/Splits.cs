namespace ActSearch.Evaluation.Data;

/// <summary>A training part and a held-out part of one data set.</summary>
public sealed record Split(Dataset Train, Dataset HeldOut);

/// <summary>Deterministic, seeded splits: the same data set and seed give the same split on every machine.</summary>
public static class Splits
{
    /// <summary>A seeded permutation of 0..count-1.</summary>
    public static int[] Permutation(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new SeededRandom(seed).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>
    /// Holds out <paramref name="heldOutFraction"/> of the examples (rounded, at least one from each class that has
    /// two or more). Classification data are split per class (stratified) so both parts keep the class balance;
    /// each part keeps the original order of its examples.
    /// </summary>
    public static Split TrainHeldOut(Dataset data, double heldOutFraction, ulong seed)
    {
        if (heldOutFraction is <= 0 or >= 1 || double.IsNaN(heldOutFraction))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "The held-out fraction must be between 0 and 1.");
        var heldOut = new List<int>();
        if (data.Labels is { } labels)
        {
            for (int c = 0; c < data.ClassCount; c++)
            {
                int[] members = [.. Enumerable.Range(0, data.Count).Where(i => labels[i] == c)];
                new SeededRandom(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(c + 1))).Shuffle(members.AsSpan());
                int take = (int)Math.Round(members.Length * heldOutFraction);
                if (take == 0 && members.Length >= 2) take = 1;
                heldOut.AddRange(members.Take(take));
            }
        }
        else
        {
            int[] order = Permutation(data.Count, seed);
            heldOut.AddRange(order.Take(Math.Max(1, (int)Math.Round(data.Count * heldOutFraction))));
        }
        var isHeldOut = new bool[data.Count];
        foreach (int i in heldOut) isHeldOut[i] = true;
        int[] train = [.. Enumerable.Range(0, data.Count).Where(i => !isHeldOut[i])];
        int[] held = [.. Enumerable.Range(0, data.Count).Where(i => isHeldOut[i])];
        return new Split(data.Select(train, data.Name + "/train"), data.Select(held, data.Name + "/held-out"));
    }

    /// <summary>
    /// Chooses <paramref name="perClass"/> examples of every class, uniformly at random with the seed, and returns
    /// their indices in ascending order. Used to cut the committed Fashion-MNIST subset.
    /// </summary>
    public static int[] BalancedSubset(IReadOnlyList<int> labels, int classCount, int perClass, ulong seed)
    {
        var chosen = new List<int>(perClass * classCount);
        for (int c = 0; c < classCount; c++)
        {
            int[] members = [.. Enumerable.Range(0, labels.Count).Where(i => labels[i] == c)];
            if (members.Length < perClass)
                throw new ArgumentException($"Class {c} has {members.Length} examples; {perClass} were asked for.", nameof(perClass));
            new SeededRandom(seed + (ulong)c).Shuffle(members.AsSpan());
            chosen.AddRange(members.Take(perClass));
        }
        chosen.Sort();
        return [.. chosen];
    }
}
