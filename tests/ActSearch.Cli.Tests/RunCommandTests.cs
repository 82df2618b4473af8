using System.Diagnostics;

namespace ActSearch.Cli.Tests;

/// <summary>
/// `actsearch run` end to end, as a user runs it: the real executable in a child process, the embedded PostgreSQL
/// under a fresh ACTSEARCH_HOME, an in-process silo with both roles, real TorchSharp training.
/// </summary>
public class RunCommandTests
{
    private const string Space = """
        name: run-test
        kind: activation
        seed: 7
        tasks: [fmnist-mlp]
        objectives: [accuracy@fmnist-mlp, complexity]
        genome:
          representation: core_unit
          unary: [neg, abs, square, exp, tanh, sigmoid, relu, sin]
          binary: [add, sub, mul, max, min]
        evolution:
          strategy: regularized
          population: 6
          tournament: 3
          offspring_per_generation: 4
        rejection:
          quality: { steps: 20, min_accuracy: 0.15 }
        budget:
          evaluations: 10
        """;

    [Fact]
    public void Run_finishes_a_search_prints_the_front_and_a_second_run_finds_the_first_in_the_catalog()
    {
        string home = Path.Combine(Path.GetTempPath(), $"actsearch-run-{Guid.NewGuid():N}");
        string space = Path.Combine(home, "space.yaml");
        Directory.CreateDirectory(home);
        // Generational: one seed gives one search whatever the timing (in steady state the children depend on the order
        // of outcomes, so under load the second run's front could hold only children the first never bred).
        File.WriteAllText(space, Space.Replace("  strategy: regularized", "  mode: generational\n  strategy: regularized", StringComparison.Ordinal));
        Assert.Contains("mode: generational", File.ReadAllText(space), StringComparison.Ordinal);
        try
        {
            var first = RunCli(home, "run", space, "--slots", "2");
            Assert.True(first.Code == 0, first.Output);
            Assert.Contains("finished after", first.Output);
            Assert.Contains("scored 10/10", first.Output);
            Assert.Contains("front (non-dominated candidates):", first.Output);
            Assert.Contains("accuracy@fmnist-mlp", first.Output);
            Assert.Matches(@"catalog: [1-9]\d* activations", first.Output);
            Assert.Contains("0 of this front were found by earlier jobs", first.Output);

            // Same seed, same space: the same functions, now already in the catalog the embedded server kept.
            var second = RunCli(home, "run", space, "--slots", "2");
            Assert.True(second.Code == 0, second.Output);
            Assert.False(second.Output.Contains("0 of this front were found by earlier jobs", StringComparison.Ordinal), $"first run:\n{first.Output}\nsecond run:\n{second.Output}");
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [Fact]
    public void A_surrogate_search_starts_from_the_catalog_and_screens_out_children_it_never_trains()
    {
        string home = Path.Combine(Path.GetTempPath(), $"actsearch-screening-{Guid.NewGuid():N}");
        string plain = Path.Combine(home, "plain.yaml"), screened = Path.Combine(home, "screened.yaml");
        Directory.CreateDirectory(home);
        string smooth = Space.Replace("[neg, abs, square, exp, tanh, sigmoid, relu, sin]", "[neg, abs, tanh, sigmoid, relu, sin]", StringComparison.Ordinal)
            .Replace("evaluations: 10", "evaluations: 14", StringComparison.Ordinal);
        File.WriteAllText(plain, smooth);
        File.WriteAllText(screened, smooth.Replace("seed: 7", "seed: 8", StringComparison.Ordinal)
            + "\nsurrogate:\n  candidates: 4\n  min_observations: 4\n  features: both\n");
        try
        {
            var first = RunCli(home, "run", plain, "--slots", "2");
            Assert.True(first.Code == 0, first.Output);
            Assert.DoesNotContain("screened out", first.Output);

            // The second job's surrogate starts from the first job's values (Fisher features on the coordinator of this
            // one-process run), breeds 4 children per free slot and trains the most promising.
            var second = RunCli(home, "run", screened, "--slots", "2");
            Assert.True(second.Code == 0, second.Output);
            Assert.Contains("scored 14/14", second.Output);
            Assert.Matches(@"rejected \d+ \([^)]*surrogate [1-9]\d*", second.Output);
            Assert.Matches(@"; [1-9]\d* of the rejected were screened out by the surrogate \(never trained, not counted as scored\)", second.Output);

            var check = RunCli(home, "surrogate", "--task", "fmnist-mlp", "--features", "both", "--folds", "3");
            Assert.True(check.Code == 0, check.Output);
            Assert.Matches(@"^\d+ functions with accuracy@fmnist-mlp in the catalog, in the order first measured; features: both", check.Output);
            Assert.Matches(@"3-fold +\d+ +\d+ +-?\d\.\d{3} ", check.Output);
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [Fact]
    public async Task Sigterm_cancels_a_run_as_ctrl_c_does_and_prints_the_front_found_so_far()
    {
        string home = Path.Combine(Path.GetTempPath(), $"actsearch-term-{Guid.NewGuid():N}");
        string space = Path.Combine(home, "space.yaml");
        Directory.CreateDirectory(home);
        File.WriteAllText(space, Space.Replace("evaluations: 10", "evaluations: 100000", StringComparison.Ordinal));
        try
        {
            using var p = Process.Start(Cli(home, "run", space, "--slots", "1"))!;
            var output = new System.Text.StringBuilder();
            var scored = new TaskCompletionSource();
            p.OutputDataReceived += (_, e) =>
            {
                lock (output) output.AppendLine(e.Data);
                if (e.Data?.Contains("evaluated 1", StringComparison.Ordinal) == true) scored.TrySetResult();
            };
            p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            await scored.Task.WaitAsync(TimeSpan.FromMinutes(3));

            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            try
            {
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            }
            catch (TimeoutException)
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail($"actsearch run kept running 2 minutes after SIGTERM:\n{output}");
            }
            string text;
            lock (output) text = output.ToString();
            Assert.True(p.ExitCode == 0, text);
            Assert.Contains("cancelling ...", text);
            Assert.Matches(@"cancelled after [\d.]+ s: \d+ scored", text);
            Assert.Contains("front (non-dominated candidates):", text);
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [Theory]
    [InlineData(6, true)]
    [InlineData(32, true)]
    [InlineData(33, false)]
    [InlineData(null, false)] // the space's own budget (200)
    public void Run_says_when_the_budget_cannot_reach_past_the_initial_population(int? budget, bool noted)
    {
        var space = ActSearch.SearchSpaces.SearchSpaceLoader.LoadEmbedded("swish-core-unit"); // population 32
        string? note = RunCommand.SmallBudgetNote(space, budget ?? space.Evolution.Budget.Evaluations);
        Assert.Equal(noted, note is not null);
        if (noted) Assert.Equal($"note: the budget ({budget}) is not above the population (32): every candidate comes from the random initial population, so this run samples the space and evolves nothing", note);

        var random = space with { Evolution = space.Evolution with { Selection = space.Evolution.Selection with { Strategy = ActSearch.Evolution.SelectionStrategy.Random } } };
        Assert.Null(RunCommand.SmallBudgetNote(random, 6)); // random search evolves nothing at any budget
    }

    [Fact]
    public void Run_with_an_invalid_space_exits_2_naming_file_line_and_column()
    {
        string home = Path.Combine(Path.GetTempPath(), $"actsearch-run-{Guid.NewGuid():N}");
        Directory.CreateDirectory(home);
        string space = Path.Combine(home, "bad.yaml");
        File.WriteAllText(space, "name: bad\nkind: activation\ntasks: [fmnist-mpl]\n");
        try
        {
            var result = RunCli(home, "run", space);
            Assert.Equal(2, result.Code);
            Assert.Contains($"{space}:3:", result.Output);
            Assert.Contains("fmnist-mpl", result.Output);
            Assert.False(Directory.Exists(Path.Combine(home, "postgres")), "nothing is started for an invalid space");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The real executable in <paramref name="home"/>'s embedded store, on the CPU, its output redirected.</summary>
    private static ProcessStartInfo Cli(string home, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "actsearch.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ACTSEARCH_HOME"] = home;
        psi.Environment.Remove("ACTSEARCH_DB");
        psi.Environment["ACTSEARCH_DEVICE"] = "cpu";
        return psi;
    }

    private static (int Code, string Output) RunCli(string home, params string[] args)
    {
        using var p = Process.Start(Cli(home, args))!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"actsearch {string.Join(' ', args)} did not finish in 5 minutes:\n{stdout}");
        }
        return (p.ExitCode, stdout + stderr.Result);
    }
}
