namespace ActSearch.Evolution.Tests;

/// <summary>
/// NSGA-II on a real-coded benchmark with a known answer: ZDT1 (Zitzler, Deb, Thiele 2000), 30 variables in
/// [0, 1], f1 = x1, f2 = g (1 - sqrt(f1 / g)), g = 1 + 9 mean(x2..x30). Its Pareto front is f2 = 1 - sqrt(f1).
/// Variation is Deb's SBX and polynomial mutation; selection and survival are the engine's (<see cref="Pareto"/>).
/// </summary>
public class Zdt1Tests
{
    private const int Variables = 30, PopulationSize = 100, Generations = 250;

    [Fact]
    public void Nsga2_recovers_the_known_front_of_ZDT1()
    {
        var rng = new Rng(2024);
        var population = Enumerable.Range(0, PopulationSize)
            .Select(_ => Enumerable.Range(0, Variables).Select(_ => rng.NextDouble()).ToArray())
            .ToList();
        var objectives = population.Select(Zdt1).ToList();
        for (int gen = 0; gen < Generations; gen++)
        {
            var fronts = Pareto.FastNonDominatedSort(objectives);
            var rank = Pareto.Ranks(fronts, objectives.Count);
            var crowding = new double[objectives.Count];
            foreach (var f in fronts)
            {
                var d = Pareto.CrowdingDistance(objectives, f);
                for (int i = 0; i < f.Count; i++) crowding[f[i]] = d[i];
            }
            int Tournament()
            {
                int a = rng.NextInt(population.Count), b = rng.NextInt(population.Count);
                if (rank[a] != rank[b]) return rank[a] < rank[b] ? a : b;
                return crowding[a] >= crowding[b] ? a : b;
            }
            var children = new List<double[]>();
            while (children.Count < PopulationSize)
            {
                var (c1, c2) = Sbx(rng, population[Tournament()], population[Tournament()]);
                children.Add(PolynomialMutation(rng, c1));
                children.Add(PolynomialMutation(rng, c2));
            }
            var all = population.Concat(children).ToList();
            var allObjectives = objectives.Concat(children.Select(Zdt1)).ToList();
            var keep = Pareto.SelectSurvivors(allObjectives, PopulationSize);
            population = [.. keep.Select(i => all[i])];
            objectives = [.. keep.Select(i => allObjectives[i])];
        }

        var front = Pareto.Front(objectives).Select(i => objectives[i]).ToList();
        // Generational distance: root mean square distance from each found point to the true front.
        double gd = Math.Sqrt(front.Average(p => Math.Pow(DistanceToTrueFront(p), 2)));
        Assert.True(gd < 0.01, $"generational distance {gd}");
        // Spread: the front must cover f1 from near 0 to near 1, not collapse to one end.
        Assert.True(front.Min(p => p[0]) < 0.05 && front.Max(p => p[0]) > 0.95, "the front does not span f1");
        Assert.True(front.Count >= PopulationSize / 2, $"only {front.Count} points on the front");
    }

    [Fact]
    public void A_random_population_is_far_from_the_front_so_the_check_above_can_fail()
    {
        var rng = new Rng(2024);
        var objectives = Enumerable.Range(0, PopulationSize)
            .Select(_ => Zdt1(Enumerable.Range(0, Variables).Select(_ => rng.NextDouble()).ToArray()))
            .ToList();
        var front = Pareto.Front(objectives).Select(i => objectives[i]).ToList();
        double gd = Math.Sqrt(front.Average(p => Math.Pow(DistanceToTrueFront(p), 2)));
        Assert.True(gd > 0.5, $"generational distance {gd}");
    }

    private static double[] Zdt1(double[] x)
    {
        double g = 1 + 9 * x.Skip(1).Average();
        return [x[0], g * (1 - Math.Sqrt(x[0] / g))];
    }

    private static double DistanceToTrueFront(double[] p)
    {
        double best = double.PositiveInfinity;
        for (int i = 0; i <= 10_000; i++)
        {
            double f1 = i / 10_000.0, f2 = 1 - Math.Sqrt(f1);
            best = Math.Min(best, Math.Sqrt((p[0] - f1) * (p[0] - f1) + (p[1] - f2) * (p[1] - f2)));
        }
        return best;
    }

    // Deb and Agrawal's simulated binary crossover (eta 20, each variable with probability 0.5), bounds [0, 1].
    private static (double[], double[]) Sbx(Rng rng, double[] a, double[] b, double eta = 20)
    {
        var c1 = (double[])a.Clone();
        var c2 = (double[])b.Clone();
        if (rng.NextDouble() > 0.9) return (c1, c2);
        for (int i = 0; i < a.Length; i++)
        {
            if (rng.NextDouble() > 0.5 || Math.Abs(a[i] - b[i]) < 1e-14) continue;
            double u = rng.NextDouble();
            double beta = u <= 0.5 ? Math.Pow(2 * u, 1 / (eta + 1)) : Math.Pow(1 / (2 * (1 - u)), 1 / (eta + 1));
            double m = 0.5 * (a[i] + b[i]), h = 0.5 * Math.Abs(a[i] - b[i]) * beta;
            c1[i] = Math.Clamp(m - h, 0, 1);
            c2[i] = Math.Clamp(m + h, 0, 1);
        }
        return (c1, c2);
    }

    // Deb's polynomial mutation (eta 20, each variable with probability 1/n), bounds [0, 1].
    private static double[] PolynomialMutation(Rng rng, double[] x, double eta = 20)
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (rng.NextDouble() >= 1.0 / x.Length) continue;
            double u = rng.NextDouble();
            double delta = u < 0.5
                ? Math.Pow(2 * u + (1 - 2 * u) * Math.Pow(1 - x[i], eta + 1), 1 / (eta + 1)) - 1
                : 1 - Math.Pow(2 * (1 - u) + 2 * (u - 0.5) * Math.Pow(x[i], eta + 1), 1 / (eta + 1));
            x[i] = Math.Clamp(x[i] + delta, 0, 1);
        }
        return x;
    }
}
