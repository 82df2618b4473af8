using System.Diagnostics;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>What one DEAP-style run did and how fast.</summary>
public sealed record DeapRunResult(long Evaluations, double Seconds, double BestMse, Expr Best)
{
    public double EvaluationsPerSecond => Seconds > 0 ? Evaluations / Seconds : 0;
}

/// <summary>
/// DEAP's classic symbolic-regression example, step for step (tests/ActSearch.Benchmarks/deap_symbreg.py):
/// population 300, 40 generations of eaSimple (pairwise one-point subtree crossover with probability 0.5,
/// uniform subtree mutation with full trees of depth 0..2 with probability 0.1), tournament of 3, height
/// limit 17 (a child over it is replaced by its parent), add/sub/mul/pdiv/neg/sin/cos with constants
/// {-1, 0, 1}, mean squared error on 20 points of x^4 + x^3 + x^2 + x in [-1, 1). Like DEAP, it counts an
/// evaluation for every individual whose fitness crossover or mutation invalidated; the benchmark divides
/// that count by the time.
/// </summary>
public static class DeapBenchmark
{
    public const int PopulationSize = 300, Generations = 40, TournamentSize = 3;
    public const double CrossoverProbability = 0.5, MutationProbability = 0.1;

    /// <summary>DEAP's genome limits: heights count edges there (a leaf is 0), depths count nodes here.</summary>
    public static GenomeOptions Genome { get; } = new()
    {
        Representation = Representation.Tree,
        Unary = ["neg", "sin", "cos"],
        Binary = ["add", "sub", "mul", "pdiv"],
        Constants = [-1, 0, 1],
        MaxParameters = 0,
        MaxNodes = int.MaxValue,
        MaxDepth = 18,
        InitMinDepth = 2,
        InitMaxDepth = 3,
        MutationMinDepth = 1,
        MutationMaxDepth = 3,
        MutationFullTrees = true,
    };

    public static DeapRunResult Run(ulong seed = 318)
    {
        var rng = new Rng(seed);
        var g = Genome;
        var v = Vocabulary.Of(g);
        var xs = new double[20];
        var ys = new double[20];
        for (int i = 0; i < 20; i++)
        {
            double x = (i - 10) / 10.0;
            xs[i] = x;
            ys[i] = x * x * x * x + x * x * x + x * x + x;
        }
        var y = new double[20];
        var workspace = new EvalWorkspace();
        long evaluations = 0;
        double Mse(Expr e)
        {
            evaluations++;
            CompiledExpr.Compile(e).Evaluate(xs, y, default, workspace);
            double s = 0;
            for (int i = 0; i < 20; i++) s += (y[i] - ys[i]) * (y[i] - ys[i]);
            double mse = s / 20;
            return double.IsNaN(mse) ? double.PositiveInfinity : mse;
        }

        var clock = Stopwatch.StartNew();
        var genomes = new Expr[PopulationSize];
        var fitness = new double[PopulationSize];
        for (int i = 0; i < PopulationSize; i++)
        {
            genomes[i] = GenomeFactory.RampedTree(rng, v);
            fitness[i] = Mse(genomes[i]);
        }
        var best = genomes[Array.IndexOf(fitness, fitness.Min())];
        double bestMse = fitness.Min();
        var mutation = new SubtreeMutation();
        var nextGenomes = new Expr[PopulationSize];
        var nextFitness = new double[PopulationSize];
        var valid = new bool[PopulationSize];
        for (int gen = 0; gen < Generations; gen++)
        {
            for (int i = 0; i < PopulationSize; i++)
            {
                int winner = rng.NextInt(PopulationSize);
                for (int t = 1; t < TournamentSize; t++)
                {
                    int c = rng.NextInt(PopulationSize);
                    if (fitness[c] < fitness[winner]) winner = c;
                }
                nextGenomes[i] = genomes[winner];
                nextFitness[i] = fitness[winner];
                valid[i] = true;
            }
            for (int i = 1; i < PopulationSize; i += 2)
            {
                if (rng.NextDouble() >= CrossoverProbability) continue;
                var (a, b) = SubtreeCrossover.Swap(rng, nextGenomes[i - 1], nextGenomes[i], g);
                // DEAP's staticLimit puts both parents back when either child is too tall.
                if (a.Depth <= g.MaxDepth && b.Depth <= g.MaxDepth) (nextGenomes[i - 1], nextGenomes[i]) = (a, b);
                valid[i - 1] = valid[i] = false;
            }
            for (int i = 0; i < PopulationSize; i++)
            {
                if (rng.NextDouble() >= MutationProbability) continue;
                var child = mutation.Apply(rng, nextGenomes[i], null, g)!;
                if (child.Depth <= g.MaxDepth) nextGenomes[i] = child;
                valid[i] = false;
            }
            for (int i = 0; i < PopulationSize; i++)
            {
                if (!valid[i]) nextFitness[i] = Mse(nextGenomes[i]);
                if (nextFitness[i] < bestMse)
                {
                    bestMse = nextFitness[i];
                    best = nextGenomes[i];
                }
            }
            (genomes, nextGenomes) = (nextGenomes, genomes);
            (fitness, nextFitness) = (nextFitness, fitness);
        }
        return new DeapRunResult(evaluations, clock.Elapsed.TotalSeconds, bestMse, best);
    }
}
