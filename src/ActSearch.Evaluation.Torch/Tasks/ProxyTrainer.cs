using System.Diagnostics;
using ActSearch.Evaluation.Data;
using ActSearch.Evaluation.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tasks;

/// <summary>Training and held-out examples of a task, as managed arrays (moved to the device per run).</summary>
public sealed record TaskData(Dataset Train, Dataset HeldOut);

/// <summary>
/// A proxy task: its spec, how to build its network around the candidate slots, its data, and its full data set where it
/// has one (<see cref="ProxyTaskSpec.FullData"/>; a fidelity rung with <c>data: full</c> trains on it).
/// </summary>
public sealed record ProxyTaskDefinition(ProxyTaskSpec Spec, Func<SlotFactory, nn.Module<Tensor, Tensor>> Build, Func<TaskData> Data, Func<TaskData>? FullData = null)
{
    /// <summary>
    /// The same task trained on 90% of its training data and scored on the other 10% (<see cref="ProxyTasks.ValidationSplit"/>),
    /// so a choice made on the scores (a learning rate) never sees the held-out data.
    /// </summary>
    public ProxyTaskDefinition OnValidationSplit()
    {
        var data = Data;
        return this with { Data = () => ProxyTasks.ValidationSplit(data()) };
    }

    /// <summary>The same task training and scored on its full data set.</summary>
    /// <exception cref="InvalidOperationException">The task has no full data set.</exception>
    public ProxyTaskDefinition OnFullData() => this with
    {
        Data = FullData ?? throw new InvalidOperationException($"Task '{Spec.Name}' has no full data set; it trains on its committed data only."),
    };
}

/// <summary>The proxy tasks of the <see cref="TaskCatalog"/>, each with its network builder and data loader.</summary>
public static class ProxyTasks
{
    private static readonly Lazy<(Dataset Train, Dataset Test)> FashionMnist = new(() => DataSets.FashionMnist());

    private static readonly Lazy<TaskData> BreastCancer = new(() => StandardizedSplit(DataSets.BreastCancer()));

    private static readonly Lazy<TaskData> Digits = new(() => StandardizedSplit(DataSets.Digits()));

    /// <summary>A table's 75/25 stratified split (seed 7), standardized with the training split's statistics.</summary>
    private static TaskData StandardizedSplit(Dataset table)
    {
        var split = Splits.TrainHeldOut(table, 0.25, 7);
        var (mean, std) = split.Train.FeatureStatistics();
        return new TaskData(split.Train.Standardized(mean, std), split.HeldOut.Standardized(mean, std));
    }

    /// <summary>Characters of context of the language-model tasks; held-out windows are capped at 1,000 (64 KB).</summary>
    private const int LmContext = 64;

    private static readonly Lazy<TaskData> KingJames = new(() =>
    {
        var (train, heldOut) = DataSets.Kjv(LmContext, maxHeldOut: 1000);
        return new TaskData(train, heldOut);
    });

    private static readonly Lazy<TaskData> SmoothCurve = new(() => new TaskData(Curve(1024, 11, "curve/train"), Curve(256, 12, "curve/held-out")));

    private static TaskData Fmnist() => new(FashionMnist.Value.Train, FashionMnist.Value.Test);

    // Not cached when it fails (the package may be installed later); read once when it succeeds.
    private static readonly Lazy<TaskData> FullFashionMnistData = new(() =>
    {
        var (train, test) = DataSets.FashionMnistIn(DataSets.FashionMnistFolderFor(DataSets.Full));
        return new TaskData(train, test);
    }, LazyThreadSafetyMode.PublicationOnly);

    private static TaskData FullFmnist() => FullFashionMnistData.Value;

    /// <summary>The target of the regression task: smooth, with both oscillation and growth, on [-3, 3].</summary>
    public static double CurveTarget(double x) => Math.Sin(2 * x) + 0.25 * x * x - 0.5 * Math.Tanh(3 * x);

    private static Dataset Curve(int count, ulong seed, string name)
    {
        var rng = new SeededRandom(seed);
        var xs = new float[count];
        var ys = new float[count];
        for (int i = 0; i < count; i++)
        {
            double x = -3 + 6 * (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
            xs[i] = (float)x;
            ys[i] = (float)CurveTarget(x);
        }
        return new Dataset(name, [1], xs, null, ys);
    }

    /// <summary>
    /// The network and the data of each task of the <see cref="TaskCatalog"/>, by name: the only Torch-specific part of a task.
    /// </summary>
    private static readonly Dictionary<string, (Func<SlotFactory, nn.Module<Tensor, Tensor>> Build, Func<TaskData> Data)> Implementations = new(StringComparer.Ordinal)
    {
        ["fmnist-mlp"] = (slot => ProxyNetworks.Mlp(slot), Fmnist),
        ["fmnist-cnn"] = (slot => ProxyNetworks.Cnn(slot), Fmnist),
        ["fmnist-resnet"] = (slot => ProxyNetworks.ResNet(slot), Fmnist),
        ["fmnist-vgg"] = (slot => ProxyNetworks.PlainCnn(slot), Fmnist),
        ["fmnist-mobilenet"] = (slot => ProxyNetworks.MobileNet(slot), Fmnist),
        ["charlm-transformer"] = (slot => ProxyNetworks.CharTransformer(slot, CharText.VocabularySize, LmContext), () => KingJames.Value),
        ["charlm-glu"] = (slot => ProxyNetworks.CharTransformer(slot, CharText.VocabularySize, LmContext, hidden: 172, gated: true), () => KingJames.Value),
        ["tabular-mlp"] = (slot => ProxyNetworks.Mlp(slot, inputs: 30, classes: 2, hidden1: 64, hidden2: 64), () => BreastCancer.Value),
        ["digits-mlp"] = (slot => ProxyNetworks.Mlp(slot, inputs: 64, classes: 10, hidden1: 128, hidden2: 64), () => Digits.Value),
        ["digits-cnn"] = (slot => ProxyNetworks.DigitsCnn(slot), () => Digits.Value),
        ["deep-mlp"] = (slot => ProxyNetworks.DeepMlp(slot), Fmnist),
        ["regression"] = (slot => ProxyNetworks.Regressor(slot), () => SmoothCurve.Value),
    };

    /// <summary>Share of a task's training examples its validation split scores on.</summary>
    public const double ValidationShare = 0.1;

    /// <summary>Seeds the permutation that chooses the validation examples (the same for every task and call).</summary>
    public const ulong ValidationSeed = 0x5EED_7A11D;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Dataset, TaskData> ValidationSplits = new();

    /// <summary>
    /// The validation split of a task's data: a seeded random 10% of the training examples (<see cref="ValidationSeed"/>)
    /// to score on, the other 90% to train on; the held-out examples are left out. Made once per training set.
    /// </summary>
    public static TaskData ValidationSplit(TaskData data) => ValidationSplits.GetValue(data.Train, train =>
    {
        int[] order = Splits.Permutation(train.Count, ValidationSeed);
        int count = Math.Max(1, (int)Math.Round(train.Count * ValidationShare));
        return new TaskData(train.Select(order[count..], train.Name + "/train-part"), train.Select(order[..count], train.Name + "/validation"));
    });

    /// <summary>The full data set of each catalog task that declares one (<see cref="ProxyTaskSpec.FullData"/>), by name.</summary>
    private static readonly Dictionary<string, Func<TaskData>> FullDataLoaders = new(StringComparer.Ordinal)
    {
        ["fmnist-mlp"] = FullFmnist,
        ["fmnist-cnn"] = FullFmnist,
        ["fmnist-resnet"] = FullFmnist,
        ["fmnist-vgg"] = FullFmnist,
        ["fmnist-mobilenet"] = FullFmnist,
        ["deep-mlp"] = FullFmnist,
    };

    /// <summary>Every catalog task with its network and data.</summary>
    /// <exception cref="InvalidOperationException">
    /// A catalog task has no network here, a network no catalog entry, or the catalog and this file disagree on which
    /// tasks have full data.
    /// </exception>
    public static IReadOnlyDictionary<string, ProxyTaskDefinition> All { get; } = Define();

    private static Dictionary<string, ProxyTaskDefinition> Define()
    {
        var missing = TaskCatalog.Names.Where(n => !Implementations.ContainsKey(n)).ToList();
        var extra = Implementations.Keys.Where(n => !TaskCatalog.TryGet(n, out _)).ToList();
        var fullMismatch = TaskCatalog.All.Where(t => (t.FullData is not null) != FullDataLoaders.ContainsKey(t.Name)).Select(t => t.Name).ToList();
        if (missing.Count > 0 || extra.Count > 0 || fullMismatch.Count > 0)
            throw new InvalidOperationException(
                $"Proxy tasks out of step with the task catalog: no network for {string.Join(", ", missing.DefaultIfEmpty("-"))}; " +
                $"no catalog entry for {string.Join(", ", extra.DefaultIfEmpty("-"))}; " +
                $"full data declared on one side only for {string.Join(", ", fullMismatch.DefaultIfEmpty("-"))}.");
        return TaskCatalog.All.ToDictionary(
            spec => spec.Name,
            spec => new ProxyTaskDefinition(spec, Implementations[spec.Name].Build, Implementations[spec.Name].Data, FullDataLoaders.GetValueOrDefault(spec.Name)),
            StringComparer.Ordinal);
    }

    public static ProxyTaskDefinition Get(string name) =>
        All.TryGetValue(name, out var d) ? d
            : throw new KeyNotFoundException($"Unknown proxy task '{name}'; known: {string.Join(", ", All.Keys)}.");
}

/// <summary>
/// Trains proxy networks. Runs are synchronous on the calling thread (TorchSharp's dispose scopes are per thread);
/// <see cref="RunAsync"/> gives each run a dedicated thread so no dispose scope ever spans an await (for many runs,
/// <c>DeviceSlots</c> keeps a few long-lived training threads instead).
/// The same spec, seed and device give identical results, also when runs train concurrently: the network is seeded
/// and built under one process-wide lock, because libtorch's default generator is global.
/// <para>
/// After training, <see cref="Run"/> measures the <b>activation sparsity</b> of the trained network: on the first
/// <see cref="SparsityExamples"/> held-out examples, in eval mode, every slot's outputs y are collected; an output is
/// near zero when |y| &lt;= <see cref="SparsityThreshold"/> x RMS(y of that slot on those examples); the sparsity is
/// the count of near-zero outputs over all slots divided by the count of all slot outputs. ReLU networks score about
/// one half (exact zeros); smooth activations without a flat region score near 0.
/// </para>
/// </summary>
public sealed class ProxyTrainer(Device device)
{
    /// <summary>Held-out examples the sparsity measurement looks at.</summary>
    public const int SparsityExamples = 512;

    /// <summary>Near zero means |y| at most this times the RMS of the slot's outputs.</summary>
    public const double SparsityThreshold = 1e-3;

    public Device Device { get; } = device;

    public Task<ProxyTaskResult> RunAsync(ProxyTaskDefinition task, SlotFactory slot, CancellationToken cancellation = default) =>
        Task.Factory.StartNew(() => Run(task, slot, cancellation), cancellation, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public ProxyTaskResult Run(ProxyTaskDefinition task, SlotFactory slot, CancellationToken cancellation = default)
    {
        var spec = task.Spec;
        var data = task.Data();
        var clock = Stopwatch.StartNew();
        using var run = new TrainingRun(task, slot, data, Device);
        double last = double.NaN;
        bool diverged = false;
        int steps = 0;
        for (; steps < spec.Steps; steps++)
        {
            cancellation.ThrowIfCancellationRequested();
            last = run.Step();
            if (!double.IsFinite(last))
            {
                diverged = true;
                break;
            }
        }
        var (loss, accuracy) = diverged ? (double.PositiveInfinity, 0.0) : run.Evaluate();
        double sparsity = diverged ? double.NaN : run.Sparsity();
        clock.Stop();
        return new ProxyTaskResult
        {
            Task = spec.Name, Seed = spec.Seed, Device = Device.ToString(), Metric = spec.Metric,
            Accuracy = spec.Metric == TaskMetric.Accuracy ? accuracy : double.NaN,
            Loss = double.IsFinite(loss) ? loss : double.PositiveInfinity,
            FinalTrainLoss = last, Steps = steps, ParameterCount = run.ParameterCount, WallTime = clock.Elapsed, Diverged = diverged,
            ActivationSparsity = sparsity,
        };
    }

    /// <summary>Mean wall time of one training step (forward, backward, Adam update) after <paramref name="warmup"/> steps.</summary>
    public TimeSpan MeasureStep(ProxyTaskDefinition task, SlotFactory slot, int warmup = 5, int steps = 30)
    {
        using var run = new TrainingRun(task, slot, task.Data(), Device);
        for (int i = 0; i < warmup; i++) run.Step();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) run.Step();
        return clock.Elapsed / steps;
    }

    /// <summary>
    /// The eigenvalue spectrum of the network's Fisher information at initialization (AQuaSurF's second feature), largest
    /// first: <paramref name="examples"/> training examples (the task's first batch), each with a target drawn from the
    /// network's own predictive distribution (a class from the softmax; for a regression output, the output plus N(0, 1)
    /// noise), one backward pass each in eval mode (a batch of one has no batch statistics); the per-example gradients over
    /// every parameter, J ([examples, parameters]), give the nonzero eigenvalues of F = J^T J / n as those of J J^T / n.
    /// Seeded by the task's seed: the same function gives the same spectrum.
    /// </summary>
    public double[] FisherSpectrum(ProxyTaskDefinition task, SlotFactory slot, int examples = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 2);
        using var run = new TrainingRun(task, slot, task.Data(), Device);
        return run.FisherSpectrum(examples);
    }

    /// <summary>One training run's state: the network, the optimizer, the data on the device and the batch order.</summary>
    private sealed class TrainingRun : IDisposable
    {
        // libtorch's default generator is process-wide: seeding and building a network must not interleave with another's.
        private static readonly Lock SeedGate = new();
        private readonly List<RecordingSlot> _slots = [];
        private readonly ProxyTaskSpec _spec;
        private readonly nn.Module<Tensor, Tensor> _model;
        private readonly AdamOptimizer _optimizer;
        private readonly Tensor _trainX, _trainY, _heldX, _heldY;
        private readonly SeededRandom _batches;
        private readonly int _trainCount;
        private int[] _order = [];
        private int _position;

        public TrainingRun(ProxyTaskDefinition task, SlotFactory slot, TaskData data, Device device)
        {
            _spec = task.Spec;
            lock (SeedGate)
            {
                manual_seed((long)(_spec.Seed & long.MaxValue));
                _model = task.Build(channels =>
                {
                    var recording = new RecordingSlot(slot(channels));
                    _slots.Add(recording);
                    return recording;
                });
            }
            _model.to(device);
            _model.train();
            _optimizer = new AdamOptimizer(_model.parameters(), _spec.LearningRate);
            ParameterCount = _model.parameters().Sum(p => p.numel());
            (_trainX, _trainY) = ToTensors(data.Train, device);
            (_heldX, _heldY) = ToTensors(data.HeldOut, device);
            _trainCount = data.Train.Count;
            _batches = new SeededRandom(_spec.Seed ^ 0xBA7C4E5UL);
        }

        public long ParameterCount { get; }

        private static (Tensor X, Tensor Y) ToTensors(Dataset d, Device device)
        {
            long[] shape = [d.Count, .. d.FeatureShape.Select(s => (long)s)];
            var x = tensor(d.Features, shape, device: device);
            var y = d.Labels is { } labels
                ? d.LabelsPerExample == 1 ? tensor(labels.Select(l => (long)l).ToArray(), device: device)
                    : tensor(labels.Select(l => (long)l).ToArray(), [d.Count, d.LabelsPerExample], device: device)
                : tensor(d.Targets!, [d.Count, 1], device: device);
            return (x, y);
        }

        private long[] NextBatch()
        {
            var batch = new long[Math.Min(_spec.BatchSize, _trainCount)];
            for (int i = 0; i < batch.Length; i++)
            {
                if (_position >= _order.Length)
                {
                    _order = Enumerable.Range(0, _trainCount).ToArray();
                    _batches.Shuffle(_order.AsSpan());
                    _position = 0;
                }
                batch[i] = _order[_position++];
            }
            return batch;
        }

        /// <summary>The task's loss, averaged over examples (and over positions for [batch, time, classes] outputs).</summary>
        private Tensor LossOf(Tensor output, Tensor target) => _spec.Loss == TaskLoss.CrossEntropy
            ? output.dim() == 3 ? nn.functional.cross_entropy(output.flatten(0, 1), target.flatten()) : nn.functional.cross_entropy(output, target)
            : nn.functional.mse_loss(output, target);

        /// <summary>One optimizer step inside one dispose scope; returns the training loss.</summary>
        public double Step()
        {
            using var scope = NewDisposeScope();
            var index = tensor(NextBatch(), device: _trainX.device);
            var loss = LossOf(_model.forward(_trainX.index_select(0, index)), _trainY.index_select(0, index));
            _optimizer.ZeroGrad();
            loss.backward();
            _optimizer.Step();
            return loss.item<float>();
        }

        public double[] FisherSpectrum(int examples)
        {
            _model.eval();
            using var scope = NewDisposeScope();
            var parameters = _model.parameters().ToList();
            var draw = new SeededRandom(_spec.Seed ^ 0xF15E4UL);
            var rows = new List<Tensor>(examples);
            var batch = NextBatch();
            for (int i = 0; i < Math.Min(examples, batch.Length); i++)
            {
                var x = _trainX.index_select(0, tensor(new[] { batch[i] }, device: _trainX.device));
                var output = _model.forward(x);
                Tensor target;
                using (no_grad())
                {
                    if (_spec.Loss == TaskLoss.CrossEntropy)
                    {
                        var logits = output.dim() == 3 ? output.flatten(0, 1) : output;
                        var probs = nn.functional.softmax(logits.to(float64), 1).cpu();
                        var sampled = new long[probs.shape[0]];
                        for (int r = 0; r < sampled.Length; r++) sampled[r] = Sample(probs[r].data<double>().ToArray(), draw);
                        target = tensor(sampled, device: output.device);
                        if (output.dim() == 3) target = target.reshape(output.shape[0], output.shape[1]);
                    }
                    else target = output.detach() + tensor(Enumerable.Range(0, (int)output.numel()).Select(_ => (float)draw.NextGaussian()).ToArray(), output.shape, device: output.device);
                }
                foreach (var p in parameters) p.grad?.zero_();
                LossOf(output, target).backward();
                rows.Add(cat([.. parameters.Select(p => p.grad is { } g ? g.flatten() : zeros(p.numel(), device: p.device))]).to(float64));
            }
            var j = stack(rows);
            var gram = j.matmul(j.t()) / rows.Count;
            var eigen = linalg.eigvalsh(gram).cpu().data<double>().ToArray();
            foreach (var p in parameters) p.grad?.zero_();
            _model.train();
            return [.. eigen.Select(v => Math.Max(v, 0)).OrderDescending()];
        }

        private static long Sample(double[] probabilities, SeededRandom draw)
        {
            double u = draw.NextDouble(), sum = 0;
            for (int k = 0; k < probabilities.Length; k++)
            {
                sum += probabilities[k];
                if (u < sum) return k;
            }
            return probabilities.Length - 1;
        }

        /// <summary>Held-out loss and accuracy in eval mode (running statistics, no gradients).</summary>
        public (double Loss, double Accuracy) Evaluate()
        {
            _model.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            long n = _heldX.shape[0];
            double lossSum = 0;
            long correct = 0;
            for (long start = 0; start < n; start += 500)
            {
                long len = Math.Min(500, n - start);
                var x = _heldX.narrow(0, start, len);
                var y = _heldY.narrow(0, start, len);
                var output = _model.forward(x);
                lossSum += LossOf(output, y).item<float>() * len;
                if (_spec.Metric == TaskMetric.Accuracy) correct += output.argmax(1).eq(y).sum().item<long>();
            }
            _model.train();
            return (lossSum / n, (double)correct / n);
        }

        /// <summary>Share of near-zero slot outputs on the first held-out examples (see <see cref="ProxyTrainer"/>).</summary>
        public double Sparsity()
        {
            _model.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            foreach (var s in _slots) s.Start();
            _model.forward(_heldX.narrow(0, 0, Math.Min(SparsityExamples, _heldX.shape[0])));
            long near = 0, total = 0;
            foreach (var s in _slots)
            {
                near += s.NearZero;
                total += s.Total;
                s.Stop();
            }
            _model.train();
            return total == 0 ? double.NaN : (double)near / total;
        }

        public void Dispose()
        {
            _optimizer.Dispose();
            _model.Dispose();
            _trainX.Dispose();
            _trainY.Dispose();
            _heldX.Dispose();
            _heldY.Dispose();
        }
    }
}

/// <summary>A slot's module wrapped so its outputs can be counted (activation sparsity); otherwise transparent.</summary>
internal sealed class RecordingSlot : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> inner;
    private bool _recording;

    public RecordingSlot(nn.Module<Tensor, Tensor> inner) : base("Slot")
    {
        this.inner = inner;
        RegisterComponents();
    }

    public long NearZero { get; private set; }

    public long Total { get; private set; }

    public void Start()
    {
        NearZero = Total = 0;
        _recording = true;
    }

    public void Stop() => _recording = false;

    public override Tensor forward(Tensor x)
    {
        var y = inner.forward(x);
        if (_recording)
        {
            using Scalar share = ProxyTrainer.SparsityThreshold; // held until the call returns (see AdamOptimizer)
            var threshold = y.square().mean().sqrt() * share;
            NearZero += y.abs().le(threshold).sum().item<long>();
            Total += y.numel();
        }
        return y;
    }
}
