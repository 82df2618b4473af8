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
        File.WriteAllText(space, Space);
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
            Assert.DoesNotContain("0 of this front were found by earlier jobs", second.Output);
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
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

    private static (int Code, string Output) RunCli(string home, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "actsearch.dll");
        var psi = new ProcessStartInfo("dotnet", [cli, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["ACTSEARCH_HOME"] = home;
        psi.Environment.Remove("ACTSEARCH_DB");
        psi.Environment["ACTSEARCH_DEVICE"] = "cpu";
        using var p = Process.Start(psi)!;
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
