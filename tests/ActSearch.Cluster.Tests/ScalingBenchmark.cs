using System.Diagnostics;
using System.Globalization;
using ActSearch.Grains;
using ActSearch.Storage;
using ActSearch.Storage.Tests;
using Xunit.Abstractions;

namespace ActSearch.Cluster.Tests;

/// <summary>
/// The Orleans issue's two figures, on a real multi-process cluster training fmnist-mlp candidates (TorchSharp, one
/// thread per slot): evaluations per second with one worker silo vs two (same job, same seed), and the coordinator's
/// own CPU time per candidate as a share of the candidates' evaluation time. It measures; it asserts nothing on time.
/// ACTSEARCH_BENCH=1 [ACTSEARCH_BENCH_TASK=fmnist-cnn] [ACTSEARCH_BENCH_BUDGET=48] dotnet test tests/ActSearch.Cluster.Tests -c Release --filter Category=Benchmark --logger "console;verbosity=detailed"
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Benchmark")]
public sealed class ScalingBenchmark(PostgresServer server, ITestOutputHelper output)
{
    private const string Space = """
        name: scaling-benchmark
        kind: activation
        seed: 11
        tasks: [TASK]
        objectives: [accuracy@TASK, complexity]
        genome:
          representation: core_unit
          unary: [neg, abs, square, exp, tanh, sigmoid, relu, sin, erf, softplus]
          binary: [add, sub, mul, div, max, min]
        evolution:
          strategy: regularized
          population: 16
          tournament: 4
          offspring_per_generation: 8         # as swish-core-unit.yaml: a generation is several candidates per slot
        rejection:
          quality: { steps: 20, min_accuracy: 0.15 }
        seeds:
          - { name: swish, formula: "x * sigmoid(x)" }
          - { name: relu, formula: "max(x, 0)" }
          - { name: gelu, formula: "0.5 * x * (1 + erf(x * 0.7071067811865476))" }
          - { name: tanh, formula: "tanh(x)" }
        """;

    [BenchmarkFact]
    public async Task Evaluations_per_second_with_one_and_two_worker_silos()
    {
        string task = Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_TASK") is { Length: > 0 } t ? t : "fmnist-mlp";
        int budget = int.TryParse(Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_BUDGET"), CultureInfo.InvariantCulture, out int b) ? b : 48;
        string space = Space.Replace("TASK", task, StringComparison.Ordinal);
        var one = await RunAsync(space, workers: 1, budget);
        var two = await RunAsync(space, workers: 2, budget);

        output.WriteLine($"{{\"benchmark\":\"worker-scaling\",\"task\":\"{task}\",\"budget\":{budget},\"one_worker_evals_per_s\":{one.Rate:F4},\"two_workers_evals_per_s\":{two.Rate:F4}," +
            $"\"speedup\":{two.Rate / one.Rate:F3},\"coordinator_cpu_share_1\":{one.CoordinatorShare:F5},\"coordinator_cpu_share_2\":{two.CoordinatorShare:F5}," +
            $"\"coordinator_cpu_ms_per_candidate\":{two.CoordinatorMsPerCandidate:F2},\"eval_s_per_candidate\":{two.EvalSecondsPerCandidate:F3}}}");
        Assert.Equal(one.Front, two.Front); // the same search either way
    }

    private async Task<Result> RunAsync(string space, int workers, int budget)
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var storage = await db.OpenAsync();
        await using var cluster = new LocalCluster(db.ConnectionString);
        await cluster.StartCoordinatorAsync();
        for (int i = 0; i < workers; i++) await cluster.StartWorkerAsync(slots: 1);
        var client = await cluster.ClientAsync();

        // Warm-up job (loads libtorch and the data set, compiles) so the measured job times the steady state: its
        // first generation trains the seeds, spread over the workers.
        var warmUp = Guid.NewGuid();
        await client.GetGrain<ISearchJobGrain>(warmUp).Submit(new JobSpec(space, "bench.yaml", "warm-up", "bench", Seed: 1, BudgetEvaluations: 8 * workers));
        await cluster.WaitFinalAsync(storage, warmUp, TimeSpan.FromMinutes(10));

        var jobId = Guid.NewGuid();
        double cpuBefore = CpuSeconds(cluster.Coordinator!);
        var clock = Stopwatch.StartNew();
        await client.GetGrain<ISearchJobGrain>(jobId).Submit(new JobSpec(space, "bench.yaml", $"{workers} workers", "bench", Seed: 11, BudgetEvaluations: budget));
        var done = await cluster.WaitFinalAsync(storage, jobId, TimeSpan.FromMinutes(60));
        double wall = clock.Elapsed.TotalSeconds;
        double coordinatorCpu = CpuSeconds(cluster.Coordinator!) - cpuBefore;
        Assert.Equal(Storage.JobStatus.Finished, done.Status);

        var outcomes = await storage.Candidates.OutcomesAsync(jobId);
        var status = await client.GetGrain<ISearchJobGrain>(jobId).GetStatus();
        double evalSeconds = outcomes.Sum(o => o.Spent.TotalSeconds);
        int candidates = outcomes.Count;
        output.WriteLine($"{workers} worker(s): {status.Scored} scored in {wall:F1} s, {candidates} candidates with outcomes, evaluation time {evalSeconds:F1} s, coordinator CPU {coordinatorCpu:F2} s");
        string front = string.Join("; ", status.Front.OrderBy(f => f.CandidateId).Select(f => f.Formula));
        return new Result(status.Scored / wall, coordinatorCpu / evalSeconds, 1000 * coordinatorCpu / candidates, evalSeconds / Math.Max(1, status.Scored), front);
    }

    /// <summary>User + system CPU seconds of a process, from /proc (Linux).</summary>
    private static double CpuSeconds(SiloProcess silo)
    {
        var fields = File.ReadAllText($"/proc/{silo.ProcessId}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the command name: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0; // USER_HZ
    }

    private sealed record Result(double Rate, double CoordinatorShare, double CoordinatorMsPerCandidate, double EvalSecondsPerCandidate, string Front);
}
