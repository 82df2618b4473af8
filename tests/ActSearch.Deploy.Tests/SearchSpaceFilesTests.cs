using ActSearch.SearchSpaces;

namespace ActSearch.Deploy.Tests;

/// <summary>The search spaces the batch Jobs submit: valid, and copies of the published ones they are named after.</summary>
public sealed class SearchSpaceFilesTests
{
    public static TheoryData<string> Spaces =>
    [
        "k8s/batch/search/space.yaml",
        .. Directory.GetFiles(Repo.Path("k8s/batch/sweep/spaces"), "*.yaml").Select(f => Path.GetRelativePath(Repo.Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal),
    ];

    [Theory]
    [MemberData(nameof(Spaces))]
    public void Every_space_a_job_submits_is_valid_and_equals_the_published_space_of_its_name(string file)
    {
        bool ok = SearchSpaceLoader.TryLoad(Repo.Path(file), out var space, out var errors);
        Assert.True(ok, string.Join(Environment.NewLine, errors));
        string published = Repo.Path("search-spaces", space!.Name + ".yaml");
        Assert.True(File.Exists(published), $"{file} is named {space.Name}, which search-spaces/ does not have");
        Assert.Equal(File.ReadAllText(published), File.ReadAllText(Repo.Path(file)));
    }

    [Fact]
    public void The_sweep_config_map_lists_exactly_the_files_in_spaces()
    {
        var listed = File.ReadAllLines(Repo.Path("k8s/batch/sweep/kustomization.yaml"))
            .Select(l => l.Trim()).Where(l => l.StartsWith("- spaces/", StringComparison.Ordinal)).Select(l => l[2..]);
        var present = Directory.GetFiles(Repo.Path("k8s/batch/sweep/spaces"), "*.yaml").Select(f => "spaces/" + Path.GetFileName(f));
        Assert.Equal(present.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }
}
