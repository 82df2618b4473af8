namespace ActSearch.Evolution.Tests;

public class ParetoTests
{
    [Fact]
    public void Fast_and_naive_non_dominated_sorts_agree_on_many_random_point_sets()
    {
        var rng = new Rng(11);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = rng.NextInt(1, 60), m = rng.NextInt(1, 4);
            // Coarse integer coordinates make ties and duplicate points common, where sorters go wrong.
            bool coarse = rng.NextBool();
            var points = Enumerable.Range(0, n)
                .Select(_ => Enumerable.Range(0, m).Select(_ => coarse ? rng.NextInt(5) : rng.NextDouble()).ToArray())
                .ToList();
            var fast = Pareto.FastNonDominatedSort(points);
            var naive = Pareto.NaiveNonDominatedSort(points);
            Assert.Equal(naive.Count, fast.Count);
            for (int f = 0; f < naive.Count; f++) Assert.Equal(naive[f], fast[f]);
            Assert.Equal(naive[0], Pareto.Front(points));
            Assert.Equal(n, fast.Sum(f => f.Count));
        }
    }

    [Fact]
    public void No_point_of_a_front_dominates_another_and_each_later_point_is_dominated_by_the_front_before()
    {
        var rng = new Rng(12);
        var points = Enumerable.Range(0, 200).Select(_ => new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() }).ToList();
        var fronts = Pareto.FastNonDominatedSort(points);
        for (int f = 0; f < fronts.Count; f++)
        {
            foreach (int p in fronts[f])
            {
                Assert.DoesNotContain(fronts[f], q => Pareto.Dominates(points[q], points[p]));
                if (f > 0) Assert.Contains(fronts[f - 1], q => Pareto.Dominates(points[q], points[p]));
            }
        }
    }

    [Fact]
    public void Directions_flip_maximized_objectives_and_NaN_is_the_worst_value()
    {
        IReadOnlyList<IReadOnlyList<double>> points = [[0.9, 10], [0.8, 5], [0.7, 12], [double.NaN, 1]];
        var front = Pareto.Front(points, [ObjectiveDirection.Maximize, ObjectiveDirection.Minimize]);
        // (0.9, 10) and (0.8, 5) trade off; (0.7, 12) is worse than both; NaN accuracy loses to everything but wins on cost.
        Assert.Equal([0, 1, 3], front);
        Assert.Equal(double.PositiveInfinity, Pareto.ToMinimization([double.NaN], [ObjectiveDirection.Maximize])[0]);
    }

    [Fact]
    public void Crowding_distance_gives_the_boundary_points_infinity_and_sums_normalized_gaps_inside()
    {
        var points = new List<double[]> { new[] { 0.0, 4.0 }, new[] { 1.0, 3.0 }, new[] { 3.0, 1.0 }, new[] { 4.0, 0.0 } };
        var d = Pareto.CrowdingDistance(points, [0, 1, 2, 3]);
        Assert.Equal(double.PositiveInfinity, d[0]);
        Assert.Equal(double.PositiveInfinity, d[3]);
        Assert.Equal(3.0 / 4 + 3.0 / 4, d[1], 12);
        Assert.Equal(3.0 / 4 + 3.0 / 4, d[2], 12);
    }

    [Fact]
    public void Survivor_selection_keeps_whole_fronts_and_cuts_the_last_by_crowding()
    {
        var points = new List<double[]>
        {
            new[] { 0.0, 4.0 }, new[] { 1.0, 3.0 }, new[] { 1.1, 2.9 }, new[] { 4.0, 0.0 }, // front 0
            new[] { 5.0, 5.0 }, // front 1
        };
        var chosen = Pareto.SelectSurvivors(points, 3);
        // The two boundary points, then the better spread of the two middle ones (1.1, 2.9 sits closer to 1, 3 on one side).
        Assert.Equal(3, chosen.Count);
        Assert.Contains(0, chosen);
        Assert.Contains(3, chosen);
        Assert.Contains(2, chosen);
    }
}
