using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using ActSearch.Evolution;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.SearchSpaces;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace ActSearch.Benchmarks;

/// <summary>
/// Issue 15 (a): the real job grain and engine in an in-process cluster (one coordinator silo, one worker silo with 8, 64
/// or 256 slots) whose scorer sleeps as real candidates take and returns synthetic scores: slot utilization, candidates
/// per hour and the process's CPU per candidate, generational against steady state, side by side.
/// <para>
/// The durations follow what the swish-core-unit runs measured on this machine (search-spaces/README.md, "Rejection
/// funnel"): of the candidates that reach a worker, 31% are removed by the numeric probe (about 2 ms), 10% by the
/// stability probe (about 100 ms), 1% by the quality probe (about 1 s), and 58% are trained (about 14 s each; log-normal,
/// sigma 0.25). Copies of known functions never reach a worker. Every duration is multiplied by <c>scale</c> (the
/// benchmark's argument, default 1: real durations; below 1 the coordinator's own cost weighs more than it would) and
/// the per-hour figures are scaled back. Outcomes are functions of the fingerprint (the same function always gets the
/// same score), so the cache works as in a search.
/// </para>
/// <para>
/// Utilization is the scorer's busy time over slots times wall time, from the submit to the end (<c>utilization</c>:
/// it includes the drain at the end, when the budget is spent and the last candidates finish on a few slots) and up to
/// the start of the last candidate (<c>utilization_while_budget_left</c>: what the search sustains).
/// </para>
/// </summary>
public static class AsyncScaling
{
    private const string Space = """
        name: async-scaling
        kind: activation
        seed: 5
        tasks: [regression]
        genome:
          representation: tree
          unary: [neg, exp, tanh, sigmoid, erf, square, sin, abs]
          binary: [add, sub, mul, div, max, min]
          constants: [0.5, 1, 2]
          max_nodes: 15
          max_depth: 6
        evolution:
          mode: MODE
          strategy: regularized
          population: 64
          tournament: 8
          offspring_per_generation: 16
        objectives: [loss@regression, complexity]
        FIDELITY
        """;

    /// <summary>
    /// The rungs of <c>steady_state_rungs</c>: the swish-core-unit experiment's (100 then 300 steps, eta 3); a promoted
    /// candidate's training sleeps <see cref="TopRungCost"/> times as long (what 300 against 100 steps cost there).
    /// </summary>
    private const string Rungs = "fidelity:\n  eta: 3\n  rungs: [{steps: 100}, {steps: 300}]\n";

    private const double TopRungCost = 2.6;

    /// <summary>
    /// Every slot count and mode; <c>ACTSEARCH_BENCH_SLOTS</c> (e.g. <c>256</c>), <c>ACTSEARCH_BENCH_MODES</c> (from
    /// <c>generational</c>, <c>steady_state</c>, <c>steady_state_rungs</c>) and <c>ACTSEARCH_BENCH_PER_SLOT</c> (the budget in
    /// candidates per slot, default 8) narrow or change the run.
    /// </summary>
    public static void Run(double scale)
    {
        if (scale is <= 0 or > 1) scale = 1; // the harness's default argument (3 seconds) means "unset" here
        int[] slotCounts = Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_SLOTS") is { Length: > 0 } sl ? [.. sl.Split(',').Select(int.Parse)] : [8, 64, 256];
        string[] modes = Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_MODES") is { Length: > 0 } ms ? ms.Split(',') : ["generational", "steady_state", "steady_state_rungs"];
        int perSlot = Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_PER_SLOT") is { Length: > 0 } ps ? int.Parse(ps, System.Globalization.CultureInfo.InvariantCulture) : 8;
        foreach (int slots in slotCounts)
            foreach (var mode in modes)
            {
                var r = RunOne(slots, mode, scale, perSlot).GetAwaiter().GetResult();
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    benchmark = "async-scaling",
                    slots,
                    mode,
                    scale,
                    budget = r.Budget,
                    candidates_at_workers = r.Dispatched,
                    wall_s = Math.Round(r.Wall.TotalSeconds, 2),
                    utilization = Math.Round(r.Utilization, 3),
                    utilization_while_budget_left = Math.Round(r.Sustained, 3),
                    candidates_per_hour_real_time = Math.Round(r.Dispatched / (r.Wall.TotalHours / scale)),
                    process_cpu_ms_per_candidate = Math.Round(r.CpuMsPerCandidate, 2),
                    generations = r.Generations,
                    promoted = r.Promoted,
                }));
            }
    }

    private sealed record Result(int Budget, long Dispatched, TimeSpan Wall, double Utilization, double Sustained, double CpuMsPerCandidate, int Generations,
        long Promoted);

    private static async Task<Result> RunOne(int slots, string mode, double scale, int perSlot)
    {
        // perSlot candidates per slot (at least 128); generational gets the same budget but stops at a wall-time limit (one
        // generation of 16 at a time would take an hour at 256 slots).
        int budget = Math.Max(128, perSlot * slots);
        var wallLimit = TimeSpan.FromSeconds(90 * perSlot / 8.0);
        bool rungs = mode == "steady_state_rungs";
        string space = Space.Replace("MODE", rungs ? "steady_state" : mode, StringComparison.Ordinal).Replace("FIDELITY", rungs ? Rungs : "", StringComparison.Ordinal);
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.AssumeHomogenousSilosForTesting = false;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            bool coordinator = options.SiloName == "Silo_0";
            silo.AddActSearchGrains(coordinator ? SiloRoles.Coordinator : SiloRoles.Worker, w => w.Slots = slots);
            silo.Services.AddSingleton<ICandidateScorer>(new SleepingScorer(scale));
        });
        builder.ConfigureClient(client => client.Configure<TypeManagementOptions>(o => o.TypeMapRefreshInterval = TimeSpan.FromMilliseconds(200)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            await cluster.WaitForLivenessToStabilizeAsync();
            var id = Guid.NewGuid();
            ISearchJobGrain job = null!;
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    job = cluster.Client.GetGrain<ISearchJobGrain>(id);
                    var spec = new JobSpec(space, "async-scaling.yaml", "bench", "bench", null, budget, wallLimit);
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    SleepingScorer.Reset(clock);
                    await job.Submit(spec);
                    JobStatus status;
                    while (!(status = await job.GetStatus()).IsFinal) await Task.Delay(50);
                    clock.Stop();
                    var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                    var spans = SleepingScorer.Spans();
                    double end = clock.Elapsed.TotalSeconds, lastStart = spans.Max(s => s.Start);
                    double Busy(double until) => spans.Sum(s => Math.Max(0, Math.Min(s.End, until) - s.Start));
                    return new Result(budget, spans.Count, clock.Elapsed, Busy(end) / (slots * end), Busy(lastStart) / (slots * lastStart),
                        cpuUsed.TotalMilliseconds / Math.Max(1, spans.Count), status.Generation, status.Rungs.Skip(1).Sum(r => r.Scored));
                }
                catch (Exception e) when (attempt < 50 && e is not TimeoutException && e.Message.Contains("grain", StringComparison.OrdinalIgnoreCase))
                {
                    await Task.Delay(200); // the client learns the job grain class from the cluster's manifest a moment after start
                }
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>Sleeps as a real candidate takes (see the class) and returns synthetic scores that depend on the function alone.</summary>
    private sealed class SleepingScorer(double scale) : ICandidateScorer
    {
        private static ConcurrentQueue<(double Start, double End)> s_spans = new();
        private static Stopwatch s_clock = Stopwatch.StartNew();

        /// <summary>Each scored candidate's start and end, in seconds since <see cref="Reset"/>.</summary>
        public static List<(double Start, double End)> Spans() => [.. s_spans];

        public static void Reset(Stopwatch clock)
        {
            s_spans = new();
            s_clock = clock;
        }

        public async ValueTask<CandidateOutcome> ScoreAsync(Guid jobId, Candidate candidate, SearchSpace space, CancellationToken cancellation)
        {
            double start = s_clock.Elapsed.TotalSeconds;
            // Two uniform numbers from the fingerprint: which stage ends it, and its score; a third from the id for the spread.
            ulong h = candidate.Fingerprint.Value;
            double stage = (h & 0xFFFF) / 65536.0, score = ((h >> 16) & 0xFFFF) / 65536.0;
            double u1 = Math.Max(1e-9, Uniform((ulong)candidate.Id * 2 + 1)), u2 = Uniform((ulong)candidate.Id * 2 + 2);
            double normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            (double seconds, CandidateOutcome outcome) = stage switch
            {
                < 0.31 => (0.002, new CandidateOutcome.Rejected("numeric", "synthetic")),
                < 0.41 => (0.1, new CandidateOutcome.Rejected("stability", "synthetic")),
                < 0.42 => (1.0, new CandidateOutcome.Rejected("quality", "synthetic")),
                _ => (14 * Math.Exp(0.25 * normal) * (candidate.Rung > 0 ? TopRungCost : 1),
                    (CandidateOutcome)new CandidateOutcome.Evaluated([score + 0.01 * candidate.Rung, candidate.Genome.Size])),
            };
            await Task.Delay(TimeSpan.FromSeconds(seconds * scale), cancellation);
            s_spans.Enqueue((start, s_clock.Elapsed.TotalSeconds));
            return outcome;
        }

        /// <summary>splitmix64's finalizer: a uniform number in [0, 1) from a counter.</summary>
        private static double Uniform(ulong x)
        {
            x += 0x9E3779B97F4A7C15UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return ((x ^ (x >> 31)) >> 11) * (1.0 / (1UL << 53));
        }
    }
}
