namespace ActSearch.Deploy.Tests;

/// <summary>A throwaway kustomization in a temporary folder that builds on one of the repository's (a relative resource path).</summary>
internal sealed class TemporaryOverlay : IDisposable
{
    public string Directory { get; }

    private TemporaryOverlay(string directory) => Directory = directory;

    public static TemporaryOverlay Over(string kustomization, string extra)
    {
        string dir = Path.Combine(Path.GetTempPath(), "actsearch-overlay-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        string relative = Path.GetRelativePath(dir, Repo.Path(kustomization)).Replace('\\', '/');
        File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {relative}
            {extra}
            """);
        return new TemporaryOverlay(dir);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
