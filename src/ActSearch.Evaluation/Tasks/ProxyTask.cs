namespace ActSearch.Evaluation.Tasks;

/// <summary>What a proxy task reports: accuracy for classification, loss (mean squared error) for regression.</summary>
public enum TaskMetric
{
    Accuracy,
    Loss,
}

/// <summary>What training minimizes, and what a <see cref="TaskMetric.Loss"/> task reports on held-out data.</summary>
public enum TaskLoss
{
    /// <summary>Cross-entropy of the class (or, in a sequence, of every next token) in nats.</summary>
    CrossEntropy,

    MeanSquaredError,
}

/// <summary>
/// A proxy task: an architecture trained on a data set for a fixed budget with a fixed seed, scored on a held-out
/// split. Names are stable identifiers that search spaces refer to (<c>fmnist-cnn</c>, <c>tabular-mlp</c>, ...).
/// </summary>
public sealed record ProxyTaskSpec
{
    public required string Name { get; init; }

    /// <summary>One line for tables and help text: the network.</summary>
    public string Description { get; init; } = "";

    /// <summary>The data it trains and is scored on, in a few words (where it comes from, the split).</summary>
    public string Data { get; init; } = "";

    /// <summary>
    /// The full data set a fidelity rung with <c>data: full</c> trains and scores it on, in a few words; null when the
    /// task has none (its committed data is all there is).
    /// </summary>
    public string? FullData { get; init; }

    public required TaskMetric Metric { get; init; }

    /// <summary>What training minimizes: cross-entropy for classification (the default), mean squared error for regression.</summary>
    public TaskLoss Loss
    {
        get => _loss ?? (Metric == TaskMetric.Accuracy ? TaskLoss.CrossEntropy : TaskLoss.MeanSquaredError);
        init => _loss = value;
    }

    private readonly TaskLoss? _loss;

    /// <summary>Optimizer steps (mini-batches) of training.</summary>
    public int Steps { get; init; } = 300;

    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// The learning rates the evidence protocol tries on this task (each function trains at the one with the best validation
    /// score), as factors of <see cref="LearningRate"/>: 1/3, 1 and 3 unless the task says otherwise. A task whose functions
    /// mostly chose an edge of that grid gets one shifted that way, so that no function is held back by the grid.
    /// </summary>
    public IReadOnlyList<double> RateFactors { get; init; } = DefaultRateFactors;

    /// <summary>1/3, 1 and 3 times the task's rate.</summary>
    public static readonly IReadOnlyList<double> DefaultRateFactors = [1.0 / 3, 1, 3];

    /// <summary>Seeds the network's initial weights, the batch order and any split.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>True when candidates replace BN+ReLU pairs (normalization-activation layers); false for scalar activations.</summary>
    public bool NormActivationSlots { get; init; }

    /// <summary>
    /// True when each activation slot gates a feed-forward unit, W2 (a * f(b)) over two projections a and b of the input
    /// (GLU variants: f = silu makes it SwiGLU, gelu GeGLU, relu ReGLU, sigmoid GLU, the identity bilinear).
    /// </summary>
    public bool GatedSlots { get; init; }

    /// <summary>
    /// True when the slots are the activation of a transformer's feed-forward block: the slot sees one row per position
    /// with the hidden units on dimension 1, so a statistic over a row (PolyNorm's RMS normalization) is per position.
    /// </summary>
    public bool FeedForwardSlots { get; init; }

    /// <summary>
    /// The best known function's score on this task at its own settings (what the <c>robust_gain</c> objective measures gains
    /// against); null when none was measured.
    /// </summary>
    public TaskReference? Reference { get; init; }

    /// <summary>What fills its candidate slots: <c>layer</c> (normalization-activation layers) or <c>activation</c>.</summary>
    public string Slot => NormActivationSlots ? "layer" : "activation";

    public ProxyTaskSpec WithSeed(ulong seed) => this with { Seed = seed };

    public ProxyTaskSpec WithSteps(int steps) => this with { Steps = steps };

    public ProxyTaskSpec WithLearningRate(double rate) => this with { LearningRate = rate };
}

/// <summary>
/// A task's reference score: the best of the standard baselines (activations: relu, gelu, silu, mish, elu, selu, tanh;
/// layers: BN-ReLU, EvoNorm-S0, EvoNorm-B0) at the task's own steps and learning rate, the mean over seeds 1-5, and where
/// that measurement is recorded.
/// </summary>
public sealed record TaskReference(string Function, double Value, string Source)
{
    /// <summary>
    /// The gain of <paramref name="value"/> over the reference, as the share of what the reference leaves to gain that it
    /// removes: for accuracy, the relative reduction of the error (1 - accuracy); for a loss, of the loss. 0 is level with
    /// the reference, 1 perfect, and a collapse is strongly negative (chance on a task the reference solves to 77%: -2.9).
    /// </summary>
    public double Gain(double value, TaskMetric metric)
    {
        double left = metric == TaskMetric.Accuracy ? 1 - Value : Value;
        double now = metric == TaskMetric.Accuracy ? 1 - value : value;
        if (double.IsNaN(now)) return double.NegativeInfinity;
        return (left - now) / left;
    }
}

/// <summary>The measurements of one training run of one candidate on one proxy task.</summary>
public sealed record ProxyTaskResult
{
    public required string Task { get; init; }

    public required ulong Seed { get; init; }

    /// <summary>The device it ran on, as TorchSharp names it (<c>cpu</c>, <c>cuda:0</c>).</summary>
    public required string Device { get; init; }

    public required TaskMetric Metric { get; init; }

    /// <summary>Held-out accuracy in [0, 1] (classification), NaN for regression.</summary>
    public double Accuracy { get; init; } = double.NaN;

    /// <summary>
    /// Held-out loss (cross-entropy in nats per example, or per token for a language model; or mean squared error);
    /// +Inf when training diverged.
    /// </summary>
    public double Loss { get; init; }

    /// <summary>Training loss of the last step.</summary>
    public double FinalTrainLoss { get; init; }

    public required int Steps { get; init; }

    /// <summary>Learnable parameters of the whole network.</summary>
    public required long ParameterCount { get; init; }

    public required TimeSpan WallTime { get; init; }

    /// <summary>Training stopped early because the loss became NaN or infinite.</summary>
    public bool Diverged { get; init; }

    /// <summary>
    /// Share of near-zero outputs of the candidate inside the trained network on held-out data, in [0, 1]; NaN when
    /// not measured. An output counts as near zero when |y| &lt;= 1e-3 x the RMS of its slot's outputs on the same
    /// examples (see <c>ProxyTrainer</c> for the exact measurement).
    /// </summary>
    public double ActivationSparsity { get; init; } = double.NaN;

    /// <summary>The number to maximize: accuracy, or minus the loss.</summary>
    public double Score => Metric == TaskMetric.Accuracy ? (Diverged ? 0 : Accuracy) : (Diverged ? double.NegativeInfinity : -Loss);
}
