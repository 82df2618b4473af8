using ActSearch.Testing;
using YamlDotNet.RepresentationModel;

namespace ActSearch.Deploy.Tests;

/// <summary>
/// deploy/compose.yaml, read as YAML (no Docker engine here): a three-silo cluster with PostgreSQL whose silos read
/// the very env files of the Kubernetes overlay dev-cpu, set only known settings, and use the images deploy/ builds.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly YamlMappingNode Compose = Load();
    private static YamlMappingNode Services => (YamlMappingNode)Compose["services"];

    private static YamlMappingNode Load()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Repo.Path("deploy/compose.yaml"))));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlMappingNode Service(string name) => (YamlMappingNode)Services[name];

    private static IReadOnlyList<string> Strings(YamlNode node) => [.. ((YamlSequenceNode)node).Children.Select(c => ((YamlScalarNode)c).Value!)];

    [Fact]
    public void It_runs_postgres_a_coordinator_and_two_workers()
    {
        Assert.Equal(["postgres", "coordinator", "worker"], Services.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Equal("2", ((YamlScalarNode)((YamlMappingNode)Service("worker")["deploy"])["replicas"]).Value);
        foreach (var silo in new[] { "coordinator", "worker" })
            Assert.Equal("service_healthy", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)Service(silo)["depends_on"])["postgres"])["condition"]).Value);
    }

    /// <summary>The same files, in the same order, as the dev-cpu overlay's ConfigMaps (and EnvFile.FilesOf, which the cluster tests use).</summary>
    [Theory]
    [InlineData("coordinator")]
    [InlineData("worker")]
    public void The_silos_read_the_kubernetes_env_files(string service)
    {
        var role = service == "worker" ? SiloRole.Worker : SiloRole.Coordinator;
        var files = Strings(Service(service)["env_file"]).Select(f => Path.GetFullPath(Path.Combine(Repo.Path("deploy"), f)));
        Assert.Equal(EnvFile.FilesOf(Repo.Root, role).Select(Path.GetFullPath), files);
    }

    [Theory]
    [InlineData("coordinator")]
    [InlineData("worker")]
    public void Only_known_settings_are_set_and_only_the_secrets_are_set_outside_the_env_files(string service)
    {
        var environment = (YamlMappingNode)Service(service)["environment"];
        var keys = environment.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        Assert.All(keys, k => Assert.True(Settings.Known.Contains(k), $"compose service {service} sets {k}, not an ActSearch setting"));
        Assert.Equal(service == "coordinator" ? ["ACTSEARCH_DB", "ACTSEARCH_API_TOKENS"] : ["ACTSEARCH_DB"], keys);
        Assert.StartsWith("Host=postgres;Port=5432;", ((YamlScalarNode)environment["ACTSEARCH_DB"]).Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coordinator", "deploy/coordinator.Dockerfile", null)]
    [InlineData("worker", "deploy/worker.Dockerfile", "cpu")]
    public void The_silos_build_the_deploy_images_with_the_manifests_tags(string service, string dockerfile, string? target)
    {
        var build = (YamlMappingNode)Service(service)["build"];
        Assert.Equal(Repo.Root, Path.GetFullPath(Path.Combine(Repo.Path("deploy"), ((YamlScalarNode)build["context"]).Value!)).TrimEnd('/'));
        Assert.Equal(dockerfile, ((YamlScalarNode)build["dockerfile"]).Value);
        Assert.Equal(target, build.Children.TryGetValue("target", out var t) ? ((YamlScalarNode)t).Value : null);
        string image = ((YamlScalarNode)Service(service)["image"]).Value!;
        var manifestImages = Rendered.Of("k8s/overlays/dev-cpu").PodTemplates().SelectMany(p => p.Template.Spec.Containers).Select(c => c.Image);
        Assert.Contains(image, manifestImages);
    }

    [Fact]
    public void The_coordinator_port_is_the_env_files_and_published_on_loopback_only()
    {
        int port = Settings.HttpPort(Settings.Coordinator);
        Assert.Equal([$"127.0.0.1:{port}:{port}"], Strings(Service("coordinator")["ports"]));
        Assert.False(Service("worker").Children.ContainsKey("ports"));
    }

    [Fact]
    public void Postgres_is_the_same_pinned_image_as_the_in_cluster_database()
    {
        string image = ((YamlScalarNode)Service("postgres")["image"]).Value!;
        var cluster = Rendered.Of("k8s/overlays/dev-cpu").All<k8s.Models.V1StatefulSet>().Single(s => s.Metadata.Name == "actsearch-postgres");
        Assert.Equal(cluster.Spec.Template.Spec.Containers[0].Image, image);
    }
}
