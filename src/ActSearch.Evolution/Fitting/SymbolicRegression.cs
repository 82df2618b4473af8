using System.Collections.Immutable;
using System.Diagnostics;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>One point of the complexity-versus-error front.</summary>
public sealed record FrontPoint(int Complexity, double Mse, Expr Formula);

/// <summary>What a curve fit found.</summary>
public sealed record SymbolicRegressionResult(
    Expr Best,
    double BestMse,
    long Evaluations,
    long CacheHits,
    int Generations,
    double Seconds,
    IReadOnlyList<FrontPoint> Front);

/// <summary>
/// Symbolic regression of a curve (<c>actsearch fit</c>): the evolution engine run single-threaded with two
/// objectives, mean squared error and complexity (nodes of the written-out tree), and Levenberg–Marquardt
/// fitting of every candidate's constants, as PySR does. The result carries the complexity-versus-error front.
/// </summary>
public static class SymbolicRegression
{
    /// <summary>
    /// The defaults, tuned so GELU, 0.5 x (1 + erf(x / sqrt 2)), is found to MSE below 1e-4 in seconds:
    /// trees of at most 20 nodes and depth 8 over add, sub, mul, div, neg, exp, tanh, sigmoid, erf, square
    /// with constants 0.5, 1, 2; regularized evolution (population 200, tournament 10, 50 children a
    /// generation); every child's constants fitted (20 LM steps); at most 200,000 evaluations or 60 seconds.
    /// </summary>
    public static EvolutionOptions DefaultOptions { get; } = new()
    {
        Genome = new GenomeOptions
        {
            Representation = Representation.Tree,
            Unary = ["neg", "exp", "tanh", "sigmoid", "erf", "square"],
            Binary = ["add", "sub", "mul", "div"],
            Constants = [0.5, 1, 2],
            MaxParameters = 0,
            MaxNodes = 20,
            MaxDepth = 8,
            InitMinDepth = 2,
            InitMaxDepth = 4,
            MutationMinDepth = 1,
            MutationMaxDepth = 3,
        },
        Operators = new OperatorWeights
        {
            ChangeOp = 1, Rewire = 0, Insert = 1, Remove = 1, Regenerate = 0.1,
            Subtree = 1, Crossover = 1, Hoist = 0.3, Perturb = 0.5,
        },
        Selection = new SelectionOptions
        {
            Strategy = SelectionStrategy.Regularized,
            PopulationSize = 200,
            TournamentSize = 10,
            OffspringPerGeneration = 50,
            CrossoverRate = 0.3,
        },
        ConstantOptimization = new ConstantOptimizationOptions { Enabled = true, Iterations = 20, Probability = 1.0 },
        Objectives = [new Objective("mse", ObjectiveDirection.Minimize), new Objective("complexity", ObjectiveDirection.Minimize)],
        Budget = new Budget(Evaluations: 200_000, WallTime: TimeSpan.FromSeconds(60)),
        FingerprintCacheSize = 100_000,
    };

    /// <summary>
    /// Fits <paramref name="ys"/> at <paramref name="xs"/>. Stops at the budget of <paramref name="options"/>,
    /// when an error of <paramref name="targetMse"/> or less is reached, or on cancellation (returning what it has).
    /// The first objective must be the error and the second the complexity, both minimized.
    /// </summary>
    public static SymbolicRegressionResult Fit(
        ReadOnlySpan<double> xs, ReadOnlySpan<double> ys, EvolutionOptions? options = null, ulong seed = 1,
        double? targetMse = null, CancellationToken cancellation = default)
    {
        options ??= DefaultOptions;
        if (options.Objectives.Length != 2)
            throw new ArgumentException("Symbolic regression takes two objectives: error, then complexity.", nameof(options));
        var clock = Stopwatch.StartNew();
        var engine = new EvolutionEngine(options, seed);
        var scorer = new CurveFitScorer(xs, ys, options.ConstantOptimization, seed);
        while (!engine.IsFinished)
        {
            if (cancellation.IsCancellationRequested || options.Budget.WallTime is { } limit && clock.Elapsed >= limit)
            {
                engine.Stop();
                break;
            }
            var batch = engine.Ask(int.MaxValue);
            if (batch.Count == 0) break;
            foreach (var c in batch) engine.Tell(c.Id, scorer.Score(c));
            if (targetMse is { } t && engine.Best(0) is { } best && best.Fitness[0] <= t) engine.Stop();
        }
        return Result(engine, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Samples a formula at <paramref name="points"/> evenly spaced points of [lo, hi] (both ends included).</summary>
    public static (double[] Xs, double[] Ys) Sample(Expr target, double lo, double hi, int points)
    {
        var xs = new double[points];
        for (int i = 0; i < points; i++) xs[i] = points == 1 ? lo : lo + (hi - lo) * i / (points - 1);
        return (xs, CompiledExpr.Compile(target).Evaluate(xs));
    }

    private static SymbolicRegressionResult Result(EvolutionEngine engine, double seconds)
    {
        var front = engine.Front
            .Where(m => m.Outcome is CandidateOutcome.Evaluated)
            .Select(m => new FrontPoint((int)((CandidateOutcome.Evaluated)m.Outcome).Objectives[1], m.Fitness[0], m.Genome))
            .OrderBy(p => p.Complexity)
            .ToList();
        var best = engine.Best(0);
        var stats = engine.Statistics;
        return new SymbolicRegressionResult(
            best?.Genome ?? Expr.X,
            best?.Fitness[0] ?? double.PositiveInfinity,
            stats.Scored, stats.CacheHits, stats.GenerationsCompleted, seconds, front);
    }
}

/// <summary>
/// Scores candidates by the error of their curve after fitting their constants. Objectives: [mse, complexity].
/// Single-threaded (it owns one <see cref="CurveFitter"/>); as an <see cref="IScorer"/> it scores batches in order.
/// </summary>
public sealed class CurveFitScorer : IScorer
{
    private readonly CurveFitter _fitter;
    private readonly ConstantOptimizationOptions _optimization;
    private readonly Rng _rng;

    public CurveFitScorer(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys, ConstantOptimizationOptions optimization, ulong seed)
    {
        _fitter = new CurveFitter(xs, ys);
        _optimization = optimization;
        _rng = new Rng(seed ^ 0xC0FFEEUL); // its own stream: fitting never shifts the engine's draws
    }

    public CandidateOutcome Score(Candidate c)
    {
        bool optimize = _optimization.Enabled && (_optimization.Probability >= 1 || _rng.NextDouble() < _optimization.Probability);
        var fit = optimize
            ? _fitter.Fit(c.Genome, _optimization.Iterations)
            : new FitResult(c.Genome, _fitter.Mse(c.Genome), 1);
        if (!double.IsFinite(fit.Mse)) return new CandidateOutcome.Rejected("numeric", "NaN or Inf on the data");
        return new CandidateOutcome.Evaluated([fit.Mse, fit.Formula.Size], ReferenceEquals(fit.Formula, c.Genome) ? null : fit.Formula);
    }

    public ValueTask<IReadOnlyList<CandidateOutcome>> ScoreAsync(IReadOnlyList<Candidate> batch, CancellationToken cancellation)
    {
        var outcomes = new CandidateOutcome[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            outcomes[i] = Score(batch[i]);
        }
        return ValueTask.FromResult<IReadOnlyList<CandidateOutcome>>(outcomes);
    }
}
