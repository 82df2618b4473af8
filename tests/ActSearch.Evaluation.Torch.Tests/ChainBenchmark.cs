using System.Diagnostics;
using ActSearch.Evaluation.Data;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.Evaluation;
using ActSearch.Evaluation.Torch.Rejection;
using ActSearch.Evaluation.Torch.Tasks;
using ActSearch.Expressions;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// Issue 3's benchmark (c): the share of random candidates the cheap stages (static, numeric, duplicate) reject, and
/// their share of the chain's total time. Candidates are random trees over gp-activation.yaml's primitives
/// (ramped half-and-half, depth 2..4, constants 0.5, 1, 2, at most one learnable beta) from a seeded generator.
/// Survivors of the cheap stages all go through the stability and quality probes; the full evaluation (default tasks)
/// is timed on a few quality survivors and extrapolated to all of them. Runs only with ACTSEARCH_BENCH=1:
/// <c>ACTSEARCH_BENCH=1 dotnet test tests/ActSearch.Evaluation.Torch.Tests --filter ChainBenchmark --logger "console;verbosity=detailed"</c>
/// (ACTSEARCH_BENCH_CANDIDATES, default 500; ACTSEARCH_BENCH_THREADS, default 2).
/// </summary>
public class ChainBenchmark(ITestOutputHelper output)
{
    static ChainBenchmark() => TestTorch.Init();

    private static readonly string[] Unary = ["neg", "abs", "square", "exp", "sin", "tanh", "sigmoid", "relu", "softplus", "erf", "atan", "gauss"];
    private static readonly string[] Binary = ["add", "sub", "mul", "pdiv", "max", "min"];
    private static readonly double[] Constants = [0.5, 1, 2];

    /// <summary>A random GP tree: "full" grows every branch to the depth, "grow" may stop early (Koza's ramped half-and-half).</summary>
    public static Expr RandomTree(SeededRandom rng, int depth, bool full, ref bool hasParameter)
    {
        if (depth <= 1 || (!full && rng.NextInt(3) == 0))
        {
            int pick = rng.NextInt(10);
            if (pick < 6) return Expr.X;
            if (pick == 9 && !hasParameter)
            {
                hasParameter = true;
                return new Parameter("beta");
            }
            return Expr.Const(Constants[rng.NextInt(Constants.Length)]);
        }
        if (rng.NextInt(2) == 0) return Expr.Call(Unary[rng.NextInt(Unary.Length)], RandomTree(rng, depth - 1, full, ref hasParameter));
        var left = RandomTree(rng, depth - 1, full, ref hasParameter);
        var right = RandomTree(rng, depth - 1, full, ref hasParameter);
        return Expr.Call(Binary[rng.NextInt(Binary.Length)], left, right);
    }

    [Fact]
    public void Cheap_stages_reject_most_random_candidates_at_a_small_share_of_the_time()
    {
        if (Environment.GetEnvironmentVariable("ACTSEARCH_BENCH") != "1") return;
        int n = int.TryParse(Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_CANDIDATES"), out int c) ? c : 500;
        int threads = int.TryParse(Environment.GetEnvironmentVariable("ACTSEARCH_BENCH_THREADS"), out int t) ? t : 2;
        set_num_threads(threads);
        var settings = new RejectionChainSettings();
        var cheap = RejectionChain.CheapStages(settings, new FingerprintCache());
        var stability = new StabilityProbe(settings.Stability, CPU);
        var trainer = new ProxyTrainer(CPU);
        var quality = new QualityProbe(settings.Quality, trainer);
        var rng = new SeededRandom(2024);
        var rejectedBy = new Dictionary<string, int>();
        var examples = new Dictionary<string, List<string>>();
        var time = new Dictionary<string, TimeSpan>();
        var qualitySurvivors = new List<ChainCandidate>();
        for (int i = 0; i < n; i++)
        {
            bool hasParameter = false;
            var candidate = new ChainCandidate(RandomTree(rng, 2 + i % 3, i % 2 == 0, ref hasParameter));
            string? stage = null, reason = null;
            foreach (var s in cheap.Append(stability).Append(quality))
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    reason = s.Check(candidate, default);
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"{s.Name} on {candidate.Expr}: {e.Message}", e);
                }
                time[s.Name] = time.GetValueOrDefault(s.Name) + clock.Elapsed;
                if (reason is not null)
                {
                    stage = s.Name;
                    break;
                }
            }
            if (stage is null)
            {
                qualitySurvivors.Add(candidate);
                continue;
            }
            rejectedBy[stage] = rejectedBy.GetValueOrDefault(stage) + 1;
            var list = examples.TryGetValue(stage, out var l) ? l : examples[stage] = [];
            if (list.Count < 3) list.Add($"{candidate}: {reason}");
        }

        // The full evaluation on the default tasks, timed on a few survivors.
        var scorer = new ProxyScorer(trainer, new EvaluationPlan());
        int timed = Math.Min(3, qualitySurvivors.Count);
        var full = Stopwatch.StartNew();
        foreach (var s in qualitySurvivors.Take(timed)) scorer.Score(s, default);
        var perFull = timed == 0 ? TimeSpan.Zero : full.Elapsed / timed;
        var fullTotal = perFull * qualitySurvivors.Count;

        string[] cheapNames = [StageNames.Static, StageNames.Numeric, StageNames.Duplicate];
        int cheapRejected = cheapNames.Sum(s => rejectedBy.GetValueOrDefault(s));
        var cheapTime = cheapNames.Aggregate(TimeSpan.Zero, (a, s) => a + time.GetValueOrDefault(s));
        var total = time.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b) + fullTotal;
        output.WriteLine($"{n} random gp-activation trees, {threads} torch threads on the CPU");
        foreach (var s in cheapNames.Append(StageNames.Stability).Append(StageNames.Quality))
        {
            output.WriteLine($"{s,-10} rejected {rejectedBy.GetValueOrDefault(s),4} ({100.0 * rejectedBy.GetValueOrDefault(s) / n,5:F1}%)  time {time.GetValueOrDefault(s).TotalSeconds,8:F3} s");
            foreach (var e in examples.GetValueOrDefault(s) ?? []) output.WriteLine($"             e.g. {e}");
        }
        output.WriteLine($"evaluation {qualitySurvivors.Count} survivors x {perFull.TotalSeconds:F1} s (mean of {timed} timed full evaluations on {string.Join(", ", EvaluationPlan.DefaultTasks(false))}) = {fullTotal.TotalSeconds:F0} s (extrapolated)");
        output.WriteLine($"cheap stages: rejected {100.0 * cheapRejected / n:F1}% of the candidates in {cheapTime.TotalSeconds:F3} s = {100 * cheapTime / total:F3}% of the chain's total {total.TotalSeconds:F0} s");
        output.WriteLine($"without the full evaluations: cheap stages take {100 * cheapTime / (total - fullTotal):F2}% of the probes' time");
        set_num_threads(1);
    }
}
