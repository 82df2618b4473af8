using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Evolution.Tests;

/// <summary>Small, fast searches and scorers shared by the engine tests.</summary>
internal static class TestSearches
{
    public static readonly Expr Target = ExprParser.Parse("x * sigmoid(x) + 0.5");

    public static EvolutionOptions Options(SelectionStrategy strategy = SelectionStrategy.Regularized, int budget = 400) => new()
    {
        Genome = new GenomeOptions
        {
            Unary = ["neg", "exp", "tanh", "sigmoid", "square"],
            Binary = ["add", "sub", "mul", "div"],
            Constants = [0.5, 1, 2],
            MaxParameters = 2,
            ParameterInitials = [0, 1],
            MaxNodes = 16,
            MaxDepth = 6,
        },
        Selection = new SelectionOptions
        {
            Strategy = strategy,
            PopulationSize = 24,
            OffspringPerGeneration = 8,
            TournamentSize = 4,
        },
        Objectives = [new Objective("mse", ObjectiveDirection.Minimize), new Objective("complexity", ObjectiveDirection.Minimize)],
        Budget = new Budget(Evaluations: budget),
    };

    /// <summary>Error against <see cref="Target"/> without constant fitting, and size: cheap and deterministic.</summary>
    public static CurveFitScorer Scorer()
    {
        var (xs, ys) = SymbolicRegression.Sample(Target, -3, 3, 32);
        return new CurveFitScorer(xs, ys, new ConstantOptimizationOptions { Enabled = false }, 7);
    }

    /// <summary>A transcript of everything the engine handed out and how it ended.</summary>
    public static List<string> Drive(EvolutionEngine engine, CurveFitScorer scorer, int maxGenerations = int.MaxValue, bool reverseTells = false)
    {
        var log = new List<string>();
        while (!engine.IsFinished && engine.Generation < maxGenerations)
        {
            var batch = engine.Ask(int.MaxValue);
            if (batch.Count == 0) break;
            var told = batch.Select(c => (c, o: scorer.Score(c))).ToList();
            if (reverseTells) told.Reverse();
            foreach (var (c, o) in told)
            {
                engine.Tell(c.Id, o);
                log.Add(Describe(c, o));
            }
        }
        if (reverseTells) log.Sort(StringComparer.Ordinal);
        return log;
    }

    public static string Describe(Candidate c, CandidateOutcome o) =>
        $"{c.Id:D6} g{c.Generation} {c.Operator} [{string.Join(",", c.ParentIds)}] {c.Fingerprint} {GraphJson.Serialize(c.Genome)} -> {EngineStateJson.Outcome(o).ToJsonString()}";

    public static string Describe(IEnumerable<Member> members) =>
        string.Join("\n", members.Select(m => $"{m.Candidate.Id} {GraphJson.Serialize(m.Genome)} {string.Join(",", m.Fitness.Select(f => BitConverter.DoubleToInt64Bits(f)))}"));

    public static ImmutableArray<double> Objectives(params double[] values) => [.. values];
}
