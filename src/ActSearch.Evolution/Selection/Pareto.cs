using System.Collections.Immutable;

namespace ActSearch.Evolution;

/// <summary>
/// Pareto dominance over objective vectors. The sorters work on values to minimize; the overloads with
/// directions flip maximized objectives. NaN counts as the worst value (SymbolicRegression.jl: a NaN loss
/// is an infinite loss).
/// </summary>
public static class Pareto
{
    /// <summary>Values to minimize: maximized objectives negated, NaN (and missing values) as +Infinity.</summary>
    public static ImmutableArray<double> ToMinimization(IReadOnlyList<double> values, IReadOnlyList<ObjectiveDirection> directions)
    {
        var b = ImmutableArray.CreateBuilder<double>(directions.Count);
        for (int i = 0; i < directions.Count; i++) b.Add(Cost(i < values.Count ? values[i] : double.NaN, directions[i]));
        return b.MoveToImmutable();
    }

    /// <summary>One objective value as a value to minimize: negated when maximized, NaN as +Infinity.</summary>
    public static double Cost(double value, ObjectiveDirection direction) =>
        double.IsNaN(value) ? double.PositiveInfinity : direction == ObjectiveDirection.Maximize ? -value : value;

    /// <summary>The worst vector: what failed and rejected candidates get.</summary>
    public static ImmutableArray<double> Worst(int objectives) => [.. Enumerable.Repeat(double.PositiveInfinity, objectives)];

    /// <summary>True when a is no worse than b everywhere and better somewhere (minimization).</summary>
    public static bool Dominates(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        bool better = false;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] > b[i]) return false;
            if (a[i] < b[i]) better = true;
        }
        return better;
    }

    /// <summary>
    /// Deb et al.'s fast non-dominated sort, O(M N^2): fronts of indices, the first non-dominated, each front
    /// in increasing index order.
    /// </summary>
    public static List<List<int>> FastNonDominatedSort<TPoint>(IReadOnlyList<TPoint> points) where TPoint : IReadOnlyList<double>
    {
        int n = points.Count;
        var dominated = new List<int>[n];
        var count = new int[n];
        var fronts = new List<List<int>>();
        var first = new List<int>();
        for (int p = 0; p < n; p++)
        {
            dominated[p] = [];
            for (int q = 0; q < n; q++)
            {
                if (p == q) continue;
                if (Dominates(points[p], points[q])) dominated[p].Add(q);
                else if (Dominates(points[q], points[p])) count[p]++;
            }
            if (count[p] == 0) first.Add(p);
        }
        var current = first;
        while (current.Count > 0)
        {
            fronts.Add(current);
            var next = new List<int>();
            foreach (int p in current)
                foreach (int q in dominated[p])
                    if (--count[q] == 0) next.Add(q);
            next.Sort();
            current = next;
        }
        return fronts;
    }

    /// <summary>
    /// The obvious sorter, kept as a reference for tests: peel off the points nothing left dominates, repeat.
    /// </summary>
    public static List<List<int>> NaiveNonDominatedSort<TPoint>(IReadOnlyList<TPoint> points) where TPoint : IReadOnlyList<double>
    {
        var left = Enumerable.Range(0, points.Count).ToList();
        var fronts = new List<List<int>>();
        while (left.Count > 0)
        {
            var front = left.Where(p => !left.Any(q => q != p && Dominates(points[q], points[p]))).ToList();
            fronts.Add(front);
            var taken = front.ToHashSet();
            left.RemoveAll(taken.Contains);
        }
        return fronts;
    }

    /// <summary>Rank of every point: 0 for the first front, 1 for the next, ...</summary>
    public static int[] Ranks(List<List<int>> fronts, int count)
    {
        var ranks = new int[count];
        for (int r = 0; r < fronts.Count; r++)
            foreach (int i in fronts[r]) ranks[i] = r;
        return ranks;
    }

    /// <summary>
    /// NSGA-II crowding distance of the points of one front (in the order of <paramref name="front"/>):
    /// boundary points get +Infinity, the rest the normalized side lengths of their neighbours' cuboid.
    /// </summary>
    public static double[] CrowdingDistance<TPoint>(IReadOnlyList<TPoint> points, IReadOnlyList<int> front) where TPoint : IReadOnlyList<double>
    {
        int n = front.Count;
        var distance = new double[n];
        if (n == 0) return distance;
        int m = points[front[0]].Count;
        var order = new int[n];
        for (int k = 0; k < m; k++)
        {
            for (int i = 0; i < n; i++) order[i] = i;
            // Ties broken by position so the result never depends on the sort's stability.
            Array.Sort(order, (a, b) =>
            {
                int c = points[front[a]][k].CompareTo(points[front[b]][k]);
                return c != 0 ? c : a.CompareTo(b);
            });
            double lo = points[front[order[0]]][k], hi = points[front[order[n - 1]]][k];
            distance[order[0]] = double.PositiveInfinity;
            distance[order[n - 1]] = double.PositiveInfinity;
            double span = hi - lo;
            if (!(span > 0) || double.IsInfinity(span)) continue;
            for (int i = 1; i < n - 1; i++)
                distance[order[i]] += (points[front[order[i + 1]]][k] - points[front[order[i - 1]]][k]) / span;
        }
        return distance;
    }

    /// <summary>Indices of the non-dominated points (minimization).</summary>
    public static List<int> Front<TPoint>(IReadOnlyList<TPoint> points) where TPoint : IReadOnlyList<double>
    {
        var front = new List<int>();
        for (int p = 0; p < points.Count; p++)
        {
            bool dominated = false;
            for (int q = 0; q < points.Count && !dominated; q++)
                dominated = q != p && Dominates(points[q], points[p]);
            if (!dominated) front.Add(p);
        }
        return front;
    }

    /// <summary>
    /// The front as the engine keeps it, as a set: indices of the non-dominated points under the given directions, equal
    /// vectors once (the lowest index), in index order. Readers of stored outcomes (the API) work fronts out with this.
    /// </summary>
    public static List<int> DistinctFront(IReadOnlyList<IReadOnlyList<double>> points, IReadOnlyList<ObjectiveDirection> directions)
    {
        var costs = points.Select(p => ToMinimization(p, directions)).ToList();
        var front = new List<int>();
        for (int p = 0; p < costs.Count; p++)
        {
            bool beaten = false;
            for (int q = 0; q < costs.Count && !beaten; q++)
                beaten = q != p && (Dominates(costs[q], costs[p]) || (q < p && costs[q].SequenceEqual(costs[p])));
            if (!beaten) front.Add(p);
        }
        return front;
    }

    /// <summary>Indices of the non-dominated points under the given directions.</summary>
    public static List<int> Front(IReadOnlyList<IReadOnlyList<double>> points, IReadOnlyList<ObjectiveDirection> directions) =>
        Front(points.Select(p => ToMinimization(p, directions)).ToList());

    /// <summary>Fronts of the points under the given directions.</summary>
    public static List<List<int>> FastNonDominatedSort(IReadOnlyList<IReadOnlyList<double>> points, IReadOnlyList<ObjectiveDirection> directions) =>
        FastNonDominatedSort(points.Select(p => ToMinimization(p, directions)).ToList());

    /// <summary>
    /// NSGA-II survival: the <paramref name="size"/> best points by front, the last front cut by crowding
    /// distance (larger first, then index). Returns indices in selection order.
    /// </summary>
    public static List<int> SelectSurvivors<TPoint>(IReadOnlyList<TPoint> points, int size) where TPoint : IReadOnlyList<double>
    {
        var chosen = new List<int>(Math.Min(size, points.Count));
        foreach (var front in FastNonDominatedSort(points))
        {
            if (chosen.Count + front.Count <= size)
            {
                chosen.AddRange(front);
                if (chosen.Count == size) break;
                continue;
            }
            var d = CrowdingDistance(points, front);
            var order = Enumerable.Range(0, front.Count).OrderByDescending(i => d[i]).ThenBy(i => front[i]).ToList();
            for (int i = 0; chosen.Count < size; i++) chosen.Add(front[order[i]]);
            break;
        }
        return chosen;
    }
}
