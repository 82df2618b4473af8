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

        DeapBenchmark.Run(7); // warm-up: the JIT compiles everything once
        var ours = new List<DeapRunResult>();
        foreach (var seed in seeds) ours.Add(DeapBenchmark.Run(seed));
        double deapRate = deap.Average(), ourRate = ours.Average(r => r.EvaluationsPerSecond);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "fit-vs-deap",
            deap_evaluations_per_second = Math.Round(deapRate),
            ours_evaluations_per_second = Math.Round(ourRate),
            ratio = Math.Round(ourRate / deapRate, 1),
            ours_evaluations = ours.Select(r => r.Evaluations),
            ours_best_mse = ours.Select(r => r.BestMse),
            goal = ">= 50x DEAP",
        }));
    }
}
