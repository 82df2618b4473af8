using System.Diagnostics;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Rejection;
using ActSearch.Evaluation.Torch.Scheduling;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Evaluation;

/// <summary>
/// The whole rejection chain for one device: static limits -> numeric probe -> duplicate fingerprint -> stability
/// probe -> quality probe -> full evaluation (<see cref="ProxyScorer"/>). One instance serves many candidates and
/// threads; the duplicate cache is shared by all of them. Start reading here.
/// </summary>
public sealed class CandidateEvaluator
{
    private readonly IReadOnlyList<IRejectionStage> _stages;

    /// <param name="cache">The duplicate check's memory; null: a new <see cref="FingerprintCache"/> of the settings' size
    /// (none when the duplicate stage is off). Pass a shared one to dedupe across evaluators.</param>
    public CandidateEvaluator(Device device, RejectionChainSettings? settings = null, IFingerprintCache? cache = null)
    {
        Device = device;
        Settings = settings ?? new RejectionChainSettings();
        Cache = cache ?? (Settings.Duplicate.Enabled ? new FingerprintCache(Math.Max(1, Settings.Duplicate.CacheSize)) : null);
        Trainer = new ProxyTrainer(device);
        var stages = RejectionChain.CheapStages(Settings, Cache).ToList();
        if (Settings.Stability.Enabled) stages.Add(new StabilityProbe(Settings.Stability, device));
        if (Settings.Quality.Enabled) stages.Add(new QualityProbe(Settings.Quality, Trainer));
        _stages = stages;
    }

    public Device Device { get; }

    public RejectionChainSettings Settings { get; }

    /// <summary>The duplicate check's memory; null when the duplicate stage is off.</summary>
    public IFingerprintCache? Cache { get; }

    public ProxyTrainer Trainer { get; }

    /// <summary>The stages in the order they run (disabled ones left out), without the final evaluation.</summary>
    public IReadOnlyList<IRejectionStage> Stages => _stages;

    /// <summary>Runs the chain on the calling thread; the result is always one of the closed set of outcomes.</summary>
    public ChainResult Evaluate(ChainCandidate candidate, EvaluationPlan? plan = null, CancellationToken cancellation = default) =>
        new RejectionChain(_stages, new ProxyScorer(Trainer, plan ?? new EvaluationPlan())).Run(candidate, cancellation);

    /// <summary>
    /// Runs the cheap stages (static, numeric, duplicate: no TorchSharp) on the calling thread and, if the candidate
    /// survives them, the rest as one job on a device slot.
    /// </summary>
    public async Task<ChainResult> EvaluateAsync(ChainCandidate candidate, DeviceSlots slots, EvaluationPlan? plan = null, CancellationToken cancellation = default)
    {
        var cheap = _stages.Where(s => s is not StabilityProbe and not QualityProbe).ToList();
        var first = new RejectionChain(cheap).Run(candidate, cancellation);
        if (first.Outcome is not EvaluationOutcome.Failed { Error: RejectionChain.NoScorer }) return first;
        var rest = new RejectionChain(_stages.Skip(cheap.Count).ToList(), new ProxyScorer(Trainer, plan ?? new EvaluationPlan()));
        try
        {
            var second = await slots.RunAsync(ct => rest.Run(candidate, ct), cancellation);
            return new ChainResult(second.Outcome, [.. first.Stages, .. second.Stages]);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return new ChainResult(new EvaluationOutcome.Cancelled(), first.Stages);
        }
    }
}

/// <summary>
/// The chain's last step: trains the candidate on every task of the plan with every seed and measures the
/// objectives (<see cref="CandidateScores"/>): accuracy or loss, parameters and activation sparsity per run, and
/// the candidate's complexity, FLOPs per element and forward latency.
/// </summary>
public sealed class ProxyScorer(ProxyTrainer trainer, EvaluationPlan plan) : IProxyScorer
{
    /// <summary>The tensor the latency is measured on: NCHW, 32 channels (so EvoNorm's 32 groups fit).</summary>
    public static readonly long[] LatencyShape = [64, 32, 14, 14];

    public CandidateScores Score(ChainCandidate candidate, CancellationToken cancellation)
    {
        var results = new List<ProxyTaskResult>();
        var slot = Slots.For(candidate.Expr);
        foreach (string name in plan.TasksFor(candidate.IsLayer))
        {
            var task = ProxyTasks.Get(name);
            if (plan.FullData) task = task.OnFullData();
            foreach (ulong seed in plan.SeedValues)
            {
                cancellation.ThrowIfCancellationRequested();
                var spec = task.Spec.WithSeed(seed);
                if (plan.Steps is { } steps) spec = spec.WithSteps(steps);
                results.Add(trainer.Run(task with { Spec = spec }, slot, cancellation));
            }
        }
        var canonical = candidate.Canonical;
        return new CandidateScores
        {
            Canonical = candidate.ToString(),
            Fingerprint = Fingerprint.Of(candidate.Compiled).ToString(),
            Kind = candidate.Kind,
            Complexity = canonical.Complexity(),
            NodeCount = canonical.NodeCount(),
            FlopsPerElement = canonical.Flops(),
            FormulaParameters = canonical.ParameterCount(),
            Latency = MeasureLatency(candidate.Expr, trainer.Device, plan.LatencyRepeats),
            Device = trainer.Device.ToString(),
            Results = results,
        };
    }

    /// <summary>
    /// Median wall time of the candidate module's forward pass (eval mode, no gradients) on a fixed seeded tensor of
    /// <see cref="LatencyShape"/>, after three untimed passes; on CUDA each pass is synchronized.
    /// </summary>
    public static Latency MeasureLatency(Expr candidate, Device device, int repeats = 15)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeats);
        using var scope = NewDisposeScope();
        using var module = Slots.For(candidate)((int)LatencyShape[1]);
        module.to(device);
        module.eval();
        using var _ = no_grad();
        var generator = new Generator(7, device.type == DeviceType.CUDA ? CPU : device);
        var x = randn(LatencyShape, generator: generator).to(device);
        var times = new double[repeats];
        for (int i = -3; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var y = module.forward(x))
                if (device.type == DeviceType.CUDA) cuda.synchronize();
            if (i >= 0) times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        double median = repeats % 2 == 1 ? times[repeats / 2] : (times[repeats / 2 - 1] + times[repeats / 2]) / 2;
        return new Latency(TimeSpan.FromMilliseconds(median), $"({string.Join(", ", LatencyShape)})", LatencyShape.Aggregate(1L, (p, d) => p * d), repeats);
    }
}
