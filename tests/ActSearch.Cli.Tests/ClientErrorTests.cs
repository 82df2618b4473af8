using ActSearch.Testing;

namespace ActSearch.Cli.Tests;

/// <summary>The client commands' mistakes and failures that need no server: each is one clear line and an exit code.</summary>
public class ClientErrorTests
{
    [Fact]
    public void An_unreachable_server_is_one_line_naming_the_url_and_exit_1()
    {
        int port = Ports.Free();
        var result = CliRunner.Run("jobs", "--server", $"http://127.0.0.1:{port}");
        Assert.Equal(1, result.Code);
        Assert.Equal($"actsearch jobs: cannot reach http://127.0.0.1:{port}: connection refused\n", result.Err);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void An_invalid_space_is_reported_as_file_line_column_before_any_request()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"actsearch-client-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string space = Path.Combine(dir, "bad.yaml");
            File.WriteAllText(space, "name: bad\nkind: activation\ntasks: [fmnist-mpl]\n");
            // Nothing listens on the port: had the command sent anything, it would say it cannot reach it.
            var result = CliRunner.Run("submit", space, "--server", $"http://127.0.0.1:{Ports.Free()}", "--token", "t", "--wait");
            Assert.Equal(2, result.Code);
            Assert.StartsWith($"actsearch submit: {space}:3:9: unknown task 'fmnist-mpl'", result.Err);
            Assert.DoesNotContain("cannot reach", result.Err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("jobs --server ftp://example", "actsearch jobs: --server must be an http:// or https:// URL, got 'ftp://example'.")]
    [InlineData("jobs --state done", "actsearch jobs: option --state must be one of queued, running, paused, finished, failed, cancelled, got 'done'.")]
    [InlineData("export 9c1e0b7a5d3f2e10 --format onnx", "actsearch export: option --format must be one of pytorch, torchsharp, latex, sympy, got 'onnx'.")]
    [InlineData("export 9c1e0b7a --format latex", "actsearch export: '9c1e0b7a' is not an activation id (16 hex digits, the ID column of actsearch activations).")]
    [InlineData("submit swish-core-unit --seed -1", "actsearch submit: option --seed must be a whole number from 0 to 18446744073709551615, got '-1'.")]
    [InlineData("submit no-such-space.yaml", "actsearch submit: no-such-space.yaml: no such file, and no built-in search space of that name")]
    [InlineData("watch", "actsearch watch: missing the job id.")]
    [InlineData("watch 12", "actsearch watch: '12' is not a job id (a GUID, or at least its first 4 hex digits).")]
    [InlineData("activations --sort best", "actsearch activations: option --sort must be one of score, recent, got 'best'.")]
    public void Mistakes_in_the_command_line_exit_2_with_one_line(string line, string message)
    {
        var result = CliRunner.Run([.. line.Split(' '), "--server", $"http://127.0.0.1:{Ports.Free()}"]);
        Assert.Equal(2, result.Code);
        Assert.StartsWith(message, result.Err);
        Assert.Single(result.Err.TrimEnd('\n').Split('\n'));
    }
}
