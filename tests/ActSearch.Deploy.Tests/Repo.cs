namespace ActSearch.Deploy.Tests;

/// <summary>Paths in the repository these tests check.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Every folder under k8s/ that holds a kustomization.yaml other than a component: what a user applies.</summary>
    public static IReadOnlyList<string> Kustomizations { get; } =
    [
        "k8s/base", "k8s/overlays/dev-cpu", "k8s/overlays/gpu", "k8s/batch/search", "k8s/batch/sweep",
    ];

    /// <summary>The Dockerfiles in deploy/.</summary>
    public static IReadOnlyList<string> Dockerfiles { get; } =
        [.. Directory.GetFiles(Path("deploy"), "*.Dockerfile").Select(f => System.IO.Path.GetRelativePath(Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ActSearch.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No ActSearch.sln above {AppContext.BaseDirectory}.");
    }
}
