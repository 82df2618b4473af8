using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActSearch.Evolution;

namespace ActSearch.Benchmarks;

/// <summary>
/// `actsearch fit`'s engine against DEAP on DEAP's classic symbolic-regression setup (population 300, 40
/// generations, add/sub/mul/protected div/neg/sin/cos, 20 points), both run here side by side, three seeds
/// each. DEAP runs in Debian's python3 (package python3-deap); ours after a warm-up run, single-threaded.
/// </summary>
public static class FitVersusDeap
{
    public static void Run(double seconds)
    {
        ulong[] seeds = [318, 1, 2];
        string script = Path.Combine(AppContext.BaseDirectory, "deap_symbreg.py");
        var deap = new List<double>();
        foreach (var seed in seeds)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3", [script, seed.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            try
            {
                using var p = Process.Start(psi)!;
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "fit-vs-deap", error = "DEAP failed: " + p.StandardError.ReadToEnd().Trim().Split('\n')[^1] + " (apt-get install python3-deap)" }));
                    return;
                }
                deap.Add((double)JsonNode.Parse(output)!["evaluations_per_second"]!);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "fit-vs-deap", error = $"cannot run /usr/bin/python3: {e.Message}" }));
                return;
            }
        }

        // A whole run of ours takes a few milliseconds, so one run is at the mercy of a GC or a context switch:
        // warm up, run each seed five times and take the median, as for a microbenchmark.
        for (int i = 0; i < 5; i++) DeapBenchmark.Run(7);
        var ours = new List<DeapRunResult>();
        foreach (var seed in seeds)
        {
            var runs = Enumerable.Range(0, 5).Select(_ => DeapBenchmark.Run(seed)).OrderBy(r => r.EvaluationsPerSecond).ToList();
            ours.Add(runs[2]);
        }
        double deapRate = Median(deap), ourRate = Median(ours.Select(r => r.EvaluationsPerSecond));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "fit-vs-deap",
            deap_evaluations_per_second = Math.Round(deapRate),
            ours_evaluations_per_second = Math.Round(ourRate),
            ratio = Math.Round(ourRate / deapRate, 1),
            ours_evaluations = ours.Select(r => r.Evaluations),
            ours_best_mse = ours.Select(r => r.BestMse),
            goal = ">= 50x DEAP",
            note = "median over seeds 318, 1, 2 (ours: median of 5 runs per seed); single-threaded on both sides",
        }));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }
}
