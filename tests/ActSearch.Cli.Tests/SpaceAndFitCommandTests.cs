using System.Text.Json.Nodes;

namespace ActSearch.Cli.Tests;

public class SpaceAndFitCommandTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ActSearch.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, relative);
    }

    [Theory]
    [InlineData("search-spaces/swish-core-unit.yaml")]
    [InlineData("search-spaces/gp-activation.yaml")]
    [InlineData("search-spaces/pangaea.yaml")]
    [InlineData("search-spaces/evonorm-b.yaml")]
    [InlineData("search-spaces/evonorm-s.yaml")]
    public void Shipped_search_spaces_validate(string file)
    {
        var (code, output, error) = CliRunner.Run("space", "validate", RepoFile(file));
        Assert.True(code == 0, error);
        Assert.Contains("valid", output);
    }

    [Fact]
    public void Invalid_search_space_lists_every_error_with_file_line_and_column()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "name: bad\nkind: activation\ngenome:\n  unary: [tanhh]\nevolution:\n  popluation: 10\n");
        try
        {
            var (code, output, error) = CliRunner.Run("space", "validate", path);
            Assert.Equal(2, code);
            Assert.Equal("", output);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith($"{path}:4:", lines[0]);
            Assert.Contains("tanhh", lines[0]);
            Assert.StartsWith($"{path}:6:3:", lines[1]);
            Assert.Contains("popluation", lines[1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Space_list_names_the_built_in_spaces()
    {
        var (code, output, _) = CliRunner.Run("space", "list");
        Assert.Equal(0, code);
        foreach (string name in new[] { "swish-core-unit", "gp-activation", "pangaea", "evonorm-b", "evonorm-s", "glu-core-unit", "learned-core-unit", "robust-core-unit" })
            Assert.Contains(name, output);
    }

    [Fact]
    public void Fit_of_gelu_reaches_mse_1e4_deterministically()
    {
        string[] args = ["fit", "--target", "0.5 * x * (1 + erf(x / sqrt(2)))", "--seed", "1", "--target-mse", "1e-4", "--json"];
        var first = JsonNode.Parse(CliRunner.Run(args).Out)!;
        var second = JsonNode.Parse(CliRunner.Run(args).Out)!;
        Assert.True((double)first["best_mse"]! <= 1e-4);
        Assert.Equal((string?)first["best_formula"], (string?)second["best_formula"]);
        Assert.Equal((double)first["best_mse"]!, (double)second["best_mse"]!);
        Assert.Equal((long)first["evaluations"]!, (long)second["evaluations"]!);
        Assert.True((double)first["seconds"]! < 60);
        Assert.NotEmpty(first["front"]!.AsArray());
    }

    [Fact]
    public void Fit_reads_a_csv_of_points()
    {
        string path = Path.Combine(Path.GetTempPath(), $"curve-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, ["x,y", .. Enumerable.Range(0, 41).Select(i => { double x = -2 + i * 0.1; return FormattableString.Invariant($"{x},{x * x + 1}"); })]);
        try
        {
            var (code, output, error) = CliRunner.Run("fit", "--target", path, "--target-mse", "1e-12", "--json");
            Assert.True(code == 0, error);
            Assert.True((double)JsonNode.Parse(output)!["best_mse"]! <= 1e-12);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new[] { "fit" }, "missing --target")]
    [InlineData(new[] { "fit", "--target", "log(x)" }, "not finite")]
    [InlineData(new[] { "fit", "--target", "x", "--budget", "0" }, "--budget must be a whole number")]
    [InlineData(new[] { "fit", "--target", "x", "--range", "3,1" }, "lo < hi")]
    [InlineData(new[] { "fit", "--target", "/nonexistent/curve.csv" }, "cannot read")]
    [InlineData(new[] { "space", "validate" }, "unknown subcommand")]
    [InlineData(new[] { "space", "validate", "/nonexistent/space.yaml" }, "/nonexistent/space.yaml:1:1:")]
    public void Fit_and_space_user_errors_exit_2(string[] args, string fragment)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(fragment, error);
    }
}
