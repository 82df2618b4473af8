using System.Collections.Immutable;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>How candidates are shaped (search spaces choose one).</summary>
public enum Representation
{
    /// <summary>Ramachandran et al.'s core unit <c>binary(unary(a), unary(b))</c>, repeated: a is x or the previous unit, b is x, a constant or a parameter.</summary>
    CoreUnit,

    /// <summary>Free GP expression trees (ramped half-and-half initialization).</summary>
    Tree,

    /// <summary>Graphs with shared nodes (PANGAEA, EvoNorms): nodes may reuse earlier nodes as inputs.</summary>
    Graph,
}

/// <summary>What a candidate may contain and how big it may grow.</summary>
public sealed record GenomeOptions
{
    public Representation Representation { get; init; } = Representation.Tree;

    /// <summary>Unary primitive names (registry names).</summary>
    public ImmutableArray<string> Unary { get; init; } = ["neg", "abs", "exp", "tanh", "sigmoid", "relu", "square"];

    /// <summary>Binary primitive names.</summary>
    public ImmutableArray<string> Binary { get; init; } = ["add", "sub", "mul", "div", "max", "min"];

    /// <summary>Aggregate names (layer search spaces only).</summary>
    public ImmutableArray<string> Aggregates { get; init; } = [];

    /// <summary>Group count for group aggregates.</summary>
    public int Groups { get; init; } = Aggregate.DefaultGroups;

    /// <summary>Constants that initialization and mutation may insert.</summary>
    public ImmutableArray<double> Constants { get; init; } = [0, 1, 2, 0.5];

    /// <summary>Most learnable parameters in a candidate (named v0, v1, ... or p0, p1, ...).</summary>
    public int MaxParameters { get; init; }

    /// <summary>Initial values new parameters draw from (EvoNorms: v0 = 0, v1 = 1).</summary>
    public ImmutableArray<double> ParameterInitials { get; init; } = [1.0];

    public ParameterShape ParameterShape { get; init; } = ParameterShape.Scalar;

    /// <summary>Core units per candidate (CoreUnit representation): at least / at most.</summary>
    public int MinCoreUnits { get; init; } = 1;

    public int MaxCoreUnits { get; init; } = 2;

    /// <summary>
    /// Largest genome: distinct nodes for <see cref="Representation.Graph"/> (EvoNorms: 14), nodes of the
    /// written-out tree for trees and core units (PySR's maxsize). See <see cref="GenomeRules.SizeOf"/>.
    /// </summary>
    public int MaxNodes { get; init; } = 24;

    /// <summary>Deepest tree (PySR's maxdepth; DEAP's height limit 17).</summary>
    public int MaxDepth { get; init; } = 10;

    /// <summary>Depth range of random trees at initialization (ramped half-and-half).</summary>
    public int InitMinDepth { get; init; } = 2;

    public int InitMaxDepth { get; init; } = 4;

    /// <summary>Ramachandran et al. count the identity among the unary functions: each unary slot of a core unit may be left out.</summary>
    public bool CoreUnitIdentity { get; init; } = true;

    /// <summary>Depth range of the random trees that subtree mutation grows (DEAP's genFull 0..2 is 1..3 here: a leaf has depth 1).</summary>
    public int MutationMinDepth { get; init; } = 1;

    public int MutationMaxDepth { get; init; } = 3;

    /// <summary>Subtree mutation grows full trees (DEAP's genFull) instead of grown ones.</summary>
    public bool MutationFullTrees { get; init; }

    /// <summary>Relative standard deviation of a constant or parameter perturbation (values near 0 use 0.1 as the scale).</summary>
    public double PerturbScale { get; init; } = 0.2;

    /// <summary>Tries an operator gets to produce a child within the limits before the parent is cloned.</summary>
    public int MaxVariationAttempts { get; init; } = 10;
}

/// <summary>Relative weights of the variation operators; 0 turns one off.</summary>
public sealed record OperatorWeights
{
    /// <summary>EvoNorms / PANGAEA "change": another primitive of the same arity at one node (GP point mutation).</summary>
    public double ChangeOp { get; init; } = 1;

    /// <summary>EvoNorms: one input of a node now reads another existing node (or x).</summary>
    public double Rewire { get; init; } = 0.5;

    /// <summary>EvoNorms / PANGAEA: a new unary or binary node inserted above a node.</summary>
    public double Insert { get; init; } = 1;

    /// <summary>EvoNorms / PANGAEA: a node replaced by one of its inputs.</summary>
    public double Remove { get; init; } = 1;

    /// <summary>PANGAEA: every operation re-drawn, keeping the shape.</summary>
    public double Regenerate { get; init; } = 0.2;

    /// <summary>GP: a random subtree replaced by a new random tree.</summary>
    public double Subtree { get; init; } = 1;

    /// <summary>GP: a subtree swapped in from another parent.</summary>
    public double Crossover { get; init; } = 1;

    /// <summary>GP hoist: a subtree becomes the whole candidate (fights bloat).</summary>
    public double Hoist { get; init; } = 0.3;

    /// <summary>Constants and parameter initial values perturbed (Gaussian, relative).</summary>
    public double Perturb { get; init; } = 1;
}

public enum SelectionStrategy
{
    /// <summary>Real et al.'s regularized evolution: tournament on the first objective, the oldest dies.</summary>
    Regularized,

    /// <summary>Deb et al.'s NSGA-II: non-dominated sorting and crowding distance, (mu + lambda).</summary>
    Nsga2,

    /// <summary>EvoNorms: a random member of the Pareto front of a random tournament is the parent.</summary>
    MultiObjectiveTournament,

    /// <summary>Baseline: every candidate drawn fresh from the initializer.</summary>
    Random,
}

/// <summary>When the engine breeds: per generation, or whenever a slot is free.</summary>
public enum EvolutionMode
{
    /// <summary>
    /// A generation of <see cref="SelectionOptions.OffspringPerGeneration"/> children at a time, the next bred when every
    /// candidate of the current one has an outcome: the order of outcomes never matters, so one seed gives one search
    /// however many workers score it; slots beyond a generation's size stay idle and each generation waits for its slowest.
    /// </summary>
    Generational,

    /// <summary>
    /// Asynchronous (Real et al.'s regularized evolution; the EvoNorm search): a child is bred whenever a slot asks, from
    /// the population as it stands, and each outcome updates the population as it arrives (the strategy's survival with one
    /// newcomer: the (mu + 1) form). Every slot stays busy; the search depends on the order of outcomes, which resume
    /// replays from the store.
    /// </summary>
    SteadyState,
}

public sealed record SelectionOptions
{
    public SelectionStrategy Strategy { get; init; } = SelectionStrategy.Regularized;

    /// <summary>
    /// Generational for the engine's in-process users (curve fitting, its DEAP comparison); search spaces default to
    /// steady state (<c>evolution.mode</c>).
    /// </summary>
    public EvolutionMode Mode { get; init; } = EvolutionMode.Generational;

    public int PopulationSize { get; init; } = 64;

    public int TournamentSize { get; init; } = 8;

    /// <summary>
    /// Candidates proposed per generation (the unit of checkpointing). In steady state, a generation is this many ended
    /// children: the unit of checkpoints, saved fronts and the generation count, not a barrier.
    /// </summary>
    public int OffspringPerGeneration { get; init; } = 16;

    /// <summary>Probability that an offspring comes from crossover when the crossover weight allows it.</summary>
    public double CrossoverRate { get; init; } = 0.5;
}

public sealed record ConstantOptimizationOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Levenberg–Marquardt iterations per candidate.</summary>
    public int Iterations { get; init; } = 20;

    /// <summary>Share of new candidates whose constants are optimized (PySR's optimize_probability).</summary>
    public double Probability { get; init; } = 1.0;
}

public enum ObjectiveDirection
{
    Minimize,
    Maximize,
}

/// <summary>A number the search optimizes, e.g. accuracy on one proxy task, or complexity.</summary>
public sealed record Objective(string Name, ObjectiveDirection Direction, string? Task = null)
{
    /// <summary>Display key: "accuracy@fmnist-cnn" or "complexity".</summary>
    public string Key => Task is null ? Name : $"{Name}@{Task}";

    /// <summary>The objective a <see cref="Key"/> names, with its direction (as jobs store them).</summary>
    public static Objective FromKey(string key, ObjectiveDirection direction)
    {
        ArgumentNullException.ThrowIfNull(key);
        int at = key.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? new Objective(key, direction) : new Objective(key[..at], direction, key[(at + 1)..]);
    }
}

/// <summary>When a search stops: whichever limit is reached first.</summary>
public sealed record Budget(int? Evaluations = null, TimeSpan? WallTime = null);

/// <summary>
/// One fidelity rung: how a candidate is trained there. <paramref name="Steps"/>: training steps per run (null: each
/// task's own); <paramref name="Seeds"/>: runs per task, with consecutive seeds, whose scores are averaged. What a rung
/// trains is the scorer's business; the engine counts rungs and promotes between them. <paramref name="MinAccuracy"/> (the
/// lowest rung only): EvoNorms' quality probe as the rung itself, a candidate below this held-out accuracy on a task is
/// rejected by the quality stage. <paramref name="FullData"/>: the rung trains (and scores) on each task's full data set
/// instead of its committed subset (the scorer knows which tasks have one; the space loader refuses the rest).
/// </summary>
public sealed record FidelityRung(int? Steps = null, int Seeds = 1, double? MinAccuracy = null, bool FullData = false)
{
    /// <summary>"300 steps", "1000 steps x 3 seeds" or "1000 steps on full data", for messages and tables.</summary>
    public override string ToString() =>
        (Steps is { } s ? $"{s} steps" : "the tasks' steps") + (Seeds > 1 ? $" x {Seeds} seeds" : "") + (FullData ? " on full data" : "")
        + (MinAccuracy is { } m ? $", at least {m * 100:0.#}% accuracy" : "");
}

/// <summary>
/// Multi-fidelity promotion (ASHA, Li et al. 2020), asynchronous: every candidate is scored at the lowest rung first; when
/// a slot asks, a candidate in the top 1/<see cref="Eta"/> of the scores at its rung so far (ranked by non-dominated
/// sorting, then crowding distance) that was not promoted yet is scored at the next rung instead of breeding a new one.
/// Selection and the front use each candidate's highest rung, and a higher rung always ranks first: scores of different
/// rungs are never compared as equals. No rungs (the default): one rung, each task's own training.
/// </summary>
public sealed record FidelityOptions
{
    /// <summary>Lowest first; empty or one rung: no promotion.</summary>
    public ImmutableArray<FidelityRung> Rungs { get; init; } = [];

    /// <summary>The reduction factor: the top 1/eta of a rung is promoted.</summary>
    public double Eta { get; init; } = 3;

    /// <summary>
    /// The objectives (indices into <see cref="EvolutionOptions.Objectives"/>) a rung is ranked by for promotion: those a
    /// longer training can change. Empty: all. A search space's loader leaves out objectives measured on the formula alone
    /// (complexity, FLOPs): they are the same at every rung, and ranking by them promotes a simple function for its
    /// simplicity, to be trained again for nothing.
    /// </summary>
    public ImmutableArray<int> PromoteBy { get; init; } = [];

    /// <summary>How many rungs there are (at least one).</summary>
    public int Count => Rungs.IsDefaultOrEmpty ? 1 : Rungs.Length;

    /// <summary>True with two or more rungs.</summary>
    public bool Enabled => Count > 1;

    /// <summary>Rung <paramref name="rung"/>; the single default rung when none are declared.</summary>
    public FidelityRung Rung(int rung) => Rungs.IsDefaultOrEmpty ? new FidelityRung() : Rungs[rung];
}

/// <summary>How a surrogate ranks the children it screens (all on the objective's cost, lower is better).</summary>
public enum Acquisition
{
    /// <summary>Expected improvement over the best observed value, less a margin of <see cref="SurrogateOptions.Exploration"/> standard deviations.</summary>
    ExpectedImprovement,

    /// <summary>The optimistic bound: predicted mean improved by <see cref="SurrogateOptions.Exploration"/> predicted standard deviations (GP-UCB).</summary>
    UpperConfidenceBound,

    /// <summary>The predicted mean alone: pure exploitation.</summary>
    Mean,
}

/// <summary>What the surrogate's model sees of a function.</summary>
public enum SurrogateFeatureKind
{
    /// <summary>f(x) and f'(x) at fixed points (<see cref="ProbeFeatures"/>): computed by the engine itself, microseconds.</summary>
    Probe,

    /// <summary>The top eigenvalues of the objective's task network's Fisher information at initialization: needs a host that can train (about 0.1 s per function on one core for fmnist-cnn).</summary>
    Fisher,

    /// <summary>Both side by side.</summary>
    Both,
}

/// <summary>
/// Surrogate pre-screening (steady state only; AQuaSurF, Bingham and Miikkulainen 2023): when a slot asks for a new
/// candidate, the engine breeds <see cref="Candidates"/> children, a Gaussian process on their probe features
/// (<see cref="ProbeFeatures"/>) predicts one objective, and the child the acquisition rule ranks first is trained; the
/// others end rejected at the stage <see cref="Stage"/> with their prediction, without counting against the evaluations
/// budget or joining the population. The process is fitted on the rung-0 values this search measured, after any a host
/// gave it before the search began (<see cref="EvolutionEngine.WarmStart"/>: the activation catalog), and refitted as
/// outcomes arrive. Off by default.
/// </summary>
public sealed record SurrogateOptions
{
    /// <summary>The rejection stage of a screened-out child.</summary>
    public const string Stage = "surrogate";

    public bool Enabled { get; init; }

    /// <summary>Children bred per free slot; the best-ranked is trained (1: no screening).</summary>
    public int Candidates { get; init; } = 8;

    public Acquisition Acquisition { get; init; } = Acquisition.ExpectedImprovement;

    /// <summary>Expected improvement: the margin xi in standard deviations of the observed values (default 0.01); upper confidence bound: kappa (default 2); ignored by the mean.</summary>
    public double? Exploration { get; init; }

    /// <summary>The objective predicted (an index into <see cref="EvolutionOptions.Objectives"/>); a space's loader takes the first trained one.</summary>
    public int Objective { get; init; }

    /// <summary>Observed values needed before the surrogate screens (until then every child is trained).</summary>
    public int MinObservations { get; init; } = 10;

    /// <summary>The most observations a fit uses: the latest (warm-start values first, so this search's own displace them).</summary>
    public int MaxObservations { get; init; } = 400;

    /// <summary>The features the model sees; anything but <see cref="SurrogateFeatureKind.Probe"/> needs a host that provides them (<see cref="EvolutionEngine.UseSurrogateFeatures"/>).</summary>
    public SurrogateFeatureKind Features { get; init; } = SurrogateFeatureKind.Probe;

    /// <summary>Whether a host should start the surrogate from earlier jobs' values (the activation catalog).</summary>
    public bool WarmStart { get; init; } = true;

    /// <summary>The exploration in force: <see cref="Exploration"/> or the rule's default.</summary>
    public double ExplorationOrDefault => Exploration ?? (Acquisition == Acquisition.UpperConfidenceBound ? 2 : 0.01);
}

/// <summary>Everything the engine needs from a search space.</summary>
public sealed record EvolutionOptions
{
    public GenomeOptions Genome { get; init; } = new();

    public OperatorWeights Operators { get; init; } = new();

    public SelectionOptions Selection { get; init; } = new();

    public ConstantOptimizationOptions ConstantOptimization { get; init; } = new() { Enabled = false };

    public ImmutableArray<Objective> Objectives { get; init; } = [new("loss", ObjectiveDirection.Minimize)];

    /// <summary>
    /// The evaluations budget counts candidates scored at the lowest rung; promotions come on top of it (at most about
    /// 1/eta of the rung below each), and a search whose budget is spent ends once no candidate is left to promote.
    /// </summary>
    public Budget Budget { get; init; } = new(Evaluations: 1000);

    /// <summary>Fidelity rungs (steady state only); none by default.</summary>
    public FidelityOptions Fidelity { get; init; } = new();

    /// <summary>Surrogate pre-screening (steady state only); off by default.</summary>
    public SurrogateOptions Surrogate { get; init; } = new();

    /// <summary>
    /// Genomes that open the first generation before random ones (a search space's <c>seeds:</c>, such as Swish or
    /// EvoNorm-S0): known reference points the search starts from and is measured against.
    /// </summary>
    public ImmutableArray<Expr> InitialGenomes { get; init; } = [];

    /// <summary>Size of the fingerprint cache (AutoML-Zero's functional-equivalence cache; LRU).</summary>
    public int FingerprintCacheSize { get; init; } = 100_000;
}
