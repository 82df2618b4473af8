using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.Scheduling;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

public class DeviceSlotsTests
{
    static DeviceSlotsTests() => TestTorch.Init();

    [Fact]
    public async Task Jobs_run_on_the_slot_threads_with_the_slot_thread_count()
    {
        using var slots = new DeviceSlots(CPU, slots: 2, threadsPerSlot: 1);
        var seen = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => slots.RunAsync(_ =>
        {
            Thread.Sleep(1); // keep both slots busy so the two threads share the work
            return (Thread.CurrentThread.Name, torch.get_num_threads());
        })));
        Assert.All(seen, s => Assert.StartsWith("actsearch-slot-cpu-", s.Name));
        Assert.All(seen, s => Assert.Equal(1, s.Item2));
    }

    [Fact]
    public async Task Each_slot_keeps_its_own_thread_count()
    {
        using var three = new DeviceSlots(CPU, slots: 1, threadsPerSlot: 3);
        using var one = new DeviceSlots(CPU, slots: 1, threadsPerSlot: 1);
        for (int round = 0; round < 2; round++)
        {
            var counts = await Task.WhenAll(three.RunAsync(_ => torch.get_num_threads()), one.RunAsync(_ => torch.get_num_threads()));
            Assert.Equal([3, 1], counts);
        }
    }

    [Fact]
    public async Task A_job_cancelled_before_it_starts_never_runs()
    {
        using var slots = new DeviceSlots(CPU, slots: 1);
        using var gate = new ManualResetEventSlim();
        var blocker = slots.RunAsync(_ => gate.Wait(TimeSpan.FromSeconds(10)));
        using var cts = new CancellationTokenSource();
        bool ran = false;
        var cancelled = slots.RunAsync(_ => ran = true, cts.Token);
        cts.Cancel();
        gate.Set();
        Assert.True(await blocker);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(ran);
    }

    [Fact]
    public async Task A_failing_job_faults_its_task_and_the_slot_keeps_working()
    {
        using var slots = new DeviceSlots(CPU);
        await Assert.ThrowsAsync<InvalidOperationException>(() => slots.RunAsync<int>(_ => throw new InvalidOperationException("x")));
        Assert.Equal(3, await slots.RunAsync(_ => 3));
    }

    [Fact]
    public async Task The_chain_through_a_slot_matches_the_chain_on_the_calling_thread()
    {
        var plan = new EvaluationPlan { Tasks = ["regression"], Steps = 10, LatencyRepeats = 1 };
        var settings = new RejectionChainSettings { Quality = new QualityProbeSettings { Enabled = false } };
        using var slots = new DeviceSlots(CPU);
        var viaSlot = await new CandidateEvaluator(CPU, settings).EvaluateAsync(ChainCandidate.Parse("tanh(x)"), slots, plan);
        var direct = new CandidateEvaluator(CPU, settings).Evaluate(ChainCandidate.Parse("tanh(x)"), plan);
        Assert.Equal(direct.Stages.Select(s => s.Stage), viaSlot.Stages.Select(s => s.Stage));
        Assert.Equal(Assert.IsType<EvaluationOutcome.Evaluated>(direct.Outcome).Scores.Results[0].Loss,
            Assert.IsType<EvaluationOutcome.Evaluated>(viaSlot.Outcome).Scores.Results[0].Loss);
        // Rejected by a cheap stage: no slot needed.
        var rejected = await new CandidateEvaluator(CPU, settings).EvaluateAsync(ChainCandidate.Parse("log(x)"), slots, plan);
        Assert.Equal(StageNames.Numeric, Assert.IsType<EvaluationOutcome.Rejected>(rejected.Outcome).Stage);
    }
}
