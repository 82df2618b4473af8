using ActSearch.Testing;

namespace ActSearch.Deploy.Tests;

/// <summary>The env files: the one source of the silos' settings for kustomize, docker compose and the cluster tests.</summary>
public sealed class EnvFileTests
{
    public static TheoryData<string> Files =>
    [
        .. Directory.GetFiles(Repo.Path("k8s"), "*.env", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repo.Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal),
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_env_file_reads_and_sets_only_known_settings_and_no_secrets(string file)
    {
        var entries = EnvFile.ReadEntries(Repo.Path(file));

        Assert.NotEmpty(entries);
        foreach (var e in entries)
        {
            Assert.True(Settings.Known.Contains(e.Key), $"{file}:{e.Line}: {e.Key} is not an ActSearch setting (deploy/CONFIGURATION.md)");
            Assert.False(e.Key is "ACTSEARCH_DB" or "ACTSEARCH_API_TOKENS" or "ACTSEARCH_TOKEN", $"{file}:{e.Line}: {e.Key} is a secret; it belongs in a Secret");
        }
    }

    [Fact]
    public void No_setting_is_in_both_the_common_file_and_a_role_file()
    {
        var common = EnvFile.Read(Repo.Path("k8s/base/env/common.env")).Keys;
        foreach (var role in new[] { "coordinator.env", "worker.env" })
            Assert.Empty(common.Intersect(EnvFile.Read(Repo.Path("k8s/base/env", role)).Keys));
    }

    [Fact]
    public void A_role_gets_the_common_settings_then_its_own_with_the_overlay_last()
    {
        var worker = EnvFile.ForRole(Repo.Root, SiloRole.Worker);
        Assert.Equal("adonet", worker["ACTSEARCH_CLUSTERING"]);
        Assert.Equal("cpu", worker["ACTSEARCH_DEVICE"]);  // dev-cpu's worker.env over the base's auto
        Assert.Equal("cuda", EnvFile.ForRole(Repo.Root, SiloRole.Worker, "gpu")["ACTSEARCH_DEVICE"]);
        Assert.Equal("http://+:5080", EnvFile.ForRole(Repo.Root, SiloRole.Coordinator)["ACTSEARCH_URLS"]);
    }

    /// <summary>Only what kustomize and docker compose read alike is accepted, and a mistake names its file and line.</summary>
    [Theory]
    [InlineData("A=1\nB = 2\n", "x.env:2: 'B ' is not a KEY")]
    [InlineData("ACTSEARCH_DB=\"Host=x\"\n", "x.env:1: the value of ACTSEARCH_DB has a quote")]
    [InlineData("# c\n\nA=${HOME}\n", "x.env:3: the value of A has a '$'")]
    [InlineData("A=1 # one\n", "x.env:1: the value of A has a '#'")]
    [InlineData("export A=1\n", "x.env:1: remove 'export'")]
    [InlineData("A=1\nA=2\n", "x.env:2: A is set again (first on line 1)")]
    [InlineData("just words\n", "x.env:1: expected KEY=VALUE")]
    [InlineData("A= 1\n", "x.env:1: the value of A starts or ends with a space")]
    public void A_malformed_line_is_an_error_naming_file_and_line(string text, string expected)
    {
        var e = Assert.Throws<EnvFileException>(() => EnvFile.Parse(text, "x.env"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comments_blank_lines_and_empty_values_are_fine()
    {
        var entries = EnvFile.Parse("# settings\r\n\r\nA=1\r\nB=\r\nC=x=y;z\r\n", "x.env");
        Assert.Equal([("A", "1", 3), ("B", "", 4), ("C", "x=y;z", 5)], entries.Select(e => (e.Key, e.Value, e.Line)));
    }
}
