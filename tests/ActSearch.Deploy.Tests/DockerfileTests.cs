using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using ActSearch.Testing;
using k8s.Models;

namespace ActSearch.Deploy.Tests;

/// <summary>
/// What can be checked of the images without a Docker engine: what they copy exists and is in the build context,
/// what they publish exists, bases are pinned, users are not root, ports and health checks agree with the env files
/// and the manifests, the native libtorch is a build argument, and the health-check script works.
/// </summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Dockerfiles => [.. Repo.Dockerfiles];

    [Fact]
    public void There_are_images_for_the_coordinator_the_workers_and_the_client()
    {
        Assert.Equal(["deploy/cli.Dockerfile", "deploy/coordinator.Dockerfile", "deploy/worker.Dockerfile"], Repo.Dockerfiles);
        Assert.Equal(["cuda", "cpu"], Dockerfile.Read("deploy/worker.Dockerfile").Images.Select(s => s.Name));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Every_COPY_source_exists_and_is_let_into_the_build_context(string dockerfile)
    {
        var allowed = File.ReadAllLines(Repo.Path(".dockerignore"))
            .Where(l => l.StartsWith('!')).Select(l => l[1..]).ToList();
        foreach (var stage in Dockerfile.Read(dockerfile).Stages)
            foreach (var source in stage.ContextCopySources)
            {
                Assert.True(File.Exists(Repo.Path(source)) || Directory.Exists(Repo.Path(source)), $"{dockerfile}: COPY {source}: no such file or folder");
                Assert.True(allowed.Any(a => a == source || (a.EndsWith('/') && (source + "/").StartsWith(a, StringComparison.Ordinal))),
                    $"{dockerfile}: COPY {source}: .dockerignore keeps it out of the build context");
            }
    }

    /// <summary>
    /// A project that includes a file from outside the folders the build stage copies (search-spaces/ embedded by
    /// ActSearch.SearchSpaces, a project reference to a new folder) would build here and fail in the image.
    /// </summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Everything_the_copied_projects_include_is_copied_too(string dockerfile)
    {
        var build = Dockerfile.Read(dockerfile).Stages.First();
        var copied = build.ContextCopySources.Select(s => Path.GetFullPath(Repo.Path(s))).ToList();
        bool IsCopied(string path) => copied.Any(c => path == c.TrimEnd('/') || path.StartsWith(c.EndsWith('/') ? c : c + "/", StringComparison.Ordinal));
        var projects = copied.Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "*.*proj", SearchOption.AllDirectories).Concat(Directory.GetFiles(d, "*.targets", SearchOption.AllDirectories)))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal));
        foreach (var project in projects)
            foreach (var element in XDocument.Load(project).Descendants())
                foreach (var attribute in new[] { "Include", "Project" })
                {
                    string? value = (string?)element.Attribute(attribute);
                    if (value is null || !value.Contains("..", StringComparison.Ordinal) || value.Contains("$(", StringComparison.Ordinal)) continue;
                    string target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, value.Replace('\\', '/')));
                    string folder = target.Contains('*', StringComparison.Ordinal) ? target[..target.LastIndexOf('/')] : target;
                    Assert.True(IsCopied(folder), $"{Path.GetRelativePath(Repo.Root, project)} includes {value}, which {dockerfile} does not copy into its build stage");
                }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_published_project_exists_and_the_entrypoint_is_its_assembly(string dockerfile)
    {
        var file = Dockerfile.Read(dockerfile);
        string publish = Assert.Single(file.Stages.SelectMany(s => s.Arguments("RUN")), r => r.Contains("dotnet publish", StringComparison.Ordinal));
        string project = publish.Split(' ', StringSplitOptions.RemoveEmptyEntries).Single(w => w.EndsWith(".csproj", StringComparison.Ordinal));
        Assert.True(File.Exists(Repo.Path(project)), $"{dockerfile} publishes {project}, which does not exist");
        string assembly = XDocument.Load(Repo.Path(project)).Descendants("AssemblyName").SingleOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(project);
        foreach (var image in file.Images)
        {
            string entry = image.Arguments("ENTRYPOINT").Single();
            Assert.True(entry.Contains($"/app/{assembly}", StringComparison.Ordinal) || entry.Contains($"\"{assembly}\"", StringComparison.Ordinal),
                $"{dockerfile} stage {image.Name}: ENTRYPOINT {entry} does not start {assembly}");
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Every_base_image_is_pinned_by_a_tag(string dockerfile)
    {
        var file = Dockerfile.Read(dockerfile);
        foreach (var stage in file.Stages)
        {
            Assert.DoesNotContain("${", stage.Image, StringComparison.Ordinal);
            string last = stage.Image[(stage.Image.LastIndexOf('/') + 1)..];
            int colon = last.IndexOf(':', StringComparison.Ordinal);
            Assert.True(colon > 0 && colon < last.Length - 1 && !last.EndsWith(":latest", StringComparison.Ordinal), $"{dockerfile} stage {stage.Name}: FROM {stage.Image} is not pinned by a tag");
        }
    }

    /// <summary>Every image runs as uid 1654 (the .NET images' "app" user), which is also the pods' runAsUser.</summary>
    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Every_image_runs_as_the_non_root_user_the_pods_run_as(string dockerfile)
    {
        var pods = Rendered.Of("k8s/overlays/gpu").PodTemplates().Select(p => p.Template.Spec.SecurityContext.RunAsUser).Distinct();
        foreach (var image in Dockerfile.Read(dockerfile).Images)
        {
            string user = image.Arguments("USER").Last();
            Assert.Equal("1654", user);
            Assert.Equal([1654L], pods);
            Assert.True(image.Instructions.Select(i => i.Keyword).ToList().LastIndexOf("USER") > image.Instructions.Select(i => i.Keyword).ToList().FindLastIndex(k => k == "RUN"),
                $"{dockerfile} stage {image.Name}: a RUN after USER would run as the app user; keep USER after the last RUN");
        }
    }

    [Theory]
    [InlineData("deploy/coordinator.Dockerfile", "coordinator")]
    [InlineData("deploy/worker.Dockerfile", "worker")]
    public void Silo_images_expose_and_health_check_the_env_files_ports(string dockerfile, string role)
    {
        var env = EnvFile.ForRole(Repo.Root, role == "worker" ? SiloRole.Worker : SiloRole.Coordinator);
        foreach (var image in Dockerfile.Read(dockerfile).Images)
        {
            Assert.Equal(env["ACTSEARCH_URLS"], image.Env["ACTSEARCH_URLS"]);
            Assert.Equal(
                new[] { Settings.HttpPort(env), int.Parse(env["ACTSEARCH_SILO_PORT"], System.Globalization.CultureInfo.InvariantCulture), int.Parse(env["ACTSEARCH_GATEWAY_PORT"], System.Globalization.CultureInfo.InvariantCulture) },
                image.Exposed);
            string health = Assert.Single(image.Arguments("HEALTHCHECK"));
            Assert.Contains("CMD [\"actsearch-healthcheck\", \"/healthz\"]", health, StringComparison.Ordinal);
            Assert.Contains(image.Arguments("COPY"), c => c.EndsWith("deploy/healthcheck.sh /usr/local/bin/actsearch-healthcheck", StringComparison.Ordinal));
        }
    }

    /// <summary>The batch Jobs run the client image; what their containers call must be on its PATH.</summary>
    [Theory]
    [InlineData("k8s/batch/search")]
    [InlineData("k8s/batch/sweep")]
    public void The_programs_the_jobs_run_are_in_the_client_image(string kustomization)
    {
        var cli = Assert.Single(Dockerfile.Read("deploy/cli.Dockerfile").Images);
        var onPath = new HashSet<string>(StringComparer.Ordinal) { "/bin/bash", "timeout" };  // the Ubuntu base image's
        if (cli.Arguments("RUN").Any(r => r.Contains("ln -s /app/actsearch /usr/local/bin/actsearch", StringComparison.Ordinal))) onPath.Add("actsearch");
        if (cli.Arguments("COPY").Any(c => c.EndsWith(" /usr/local/bin/actsearch-healthcheck", StringComparison.Ordinal))) onPath.Add("actsearch-healthcheck");
        foreach (var (workload, template) in Rendered.Of(kustomization).PodTemplates())
            foreach (var c in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
            {
                Assert.StartsWith("actsearch-cli:", c.Image, StringComparison.Ordinal);
                Assert.True(onPath.Contains(c.Command[0]), $"{workload} container {c.Name} runs {c.Command[0]}, which the client image lacks");
                string script = string.Join(' ', c.Args);
                foreach (var program in new[] { "actsearch-healthcheck", "actsearch submit", "timeout" })
                    if (script.Contains(program, StringComparison.Ordinal)) Assert.Contains(program.Split(' ')[0], onPath);
            }
    }

    [Fact]
    public void Worker_images_set_the_device_they_are_built_for_and_ship_the_data_sets()
    {
        var images = Dockerfile.Read("deploy/worker.Dockerfile").Images.ToDictionary(s => s.Name);
        Assert.Equal("cpu", images["cpu"].Env["ACTSEARCH_DEVICE"]);
        Assert.Equal("cuda", images["cuda"].Env["ACTSEARCH_DEVICE"]);
        Assert.StartsWith("nvidia/cuda:", images["cuda"].Image, StringComparison.Ordinal);
        Assert.Contains("-runtime-", images["cuda"].Image, StringComparison.Ordinal);
        foreach (var image in images.Values)
        {
            Assert.Equal("/app/data", image.Env["ACTSEARCH_DATA"]);
            Assert.Contains("--from=build /app ./", image.Arguments("COPY")); // the publish output, data/ in it
        }
        // The build stage has the data the Evaluation project puts into every publish output.
        Assert.Contains("data/ data/", Dockerfile.Read("deploy/worker.Dockerfile").Stages.Single(s => s.Name == "build").Arguments("COPY"));
    }

    [Fact]
    public void Images_that_train_keep_freed_tensor_memory_in_the_process()
    {
        // The same glibc settings wherever training runs: the worker images and the CLI (actsearch run trains in-process).
        var training = Dockerfile.Read("deploy/worker.Dockerfile").Images.Append(Dockerfile.Read("deploy/cli.Dockerfile").Images.Single()).ToList();
        string tunables = training[0].Env["GLIBC_TUNABLES"];
        foreach (var image in training) Assert.Equal(tunables, image.Env["GLIBC_TUNABLES"]);
        Assert.Equal(["glibc.malloc.arena_max=1", "glibc.malloc.mmap_threshold=33554432", "glibc.malloc.trim_threshold=536870912"], tunables.Split(':'));
        Assert.DoesNotContain("GLIBC_TUNABLES", Dockerfile.Read("deploy/coordinator.Dockerfile").Images.Single().Env.Keys); // it trains nothing
        // Where training runs outside the images: the experiments script, and the line README.md gives people. Not the
        // tests' script: the clean-clone suite took 8:19 with them and 8:17 without (deploy/CONFIGURATION.md).
        Assert.Contains($"GLIBC_TUNABLES=${{GLIBC_TUNABLES:-{tunables}}}", File.ReadAllText(Repo.Path("scripts/experiments.sh")), StringComparison.Ordinal);
        Assert.Contains($"export GLIBC_TUNABLES={tunables}", File.ReadAllText(Repo.Path("README.md")), StringComparison.Ordinal);
    }

    /// <summary>
    /// The native libtorch package is the MSBuild property TorchSharpNative, which the worker Dockerfile passes from
    /// its build argument: evaluated by MSBuild, the default build references TorchSharp-cpu and the CUDA build
    /// TorchSharp-cuda-linux, both pinned centrally at the managed TorchSharp's version.
    /// </summary>
    [Fact]
    public void The_workers_native_libtorch_package_is_a_build_argument()
    {
        var build = Dockerfile.Read("deploy/worker.Dockerfile").Stages.Single(s => s.Name == "build");
        Assert.Contains("ARG TORCHSHARP_NATIVE=TorchSharp-cpu", build.Instructions.Select(i => $"{i.Keyword} {i.Arguments}"));
        Assert.Contains("-p:TorchSharpNative=${TORCHSHARP_NATIVE}", build.Arguments("RUN").Single(), StringComparison.Ordinal);

        Assert.Contains("TorchSharp-cpu", NativePackages());
        Assert.DoesNotContain("TorchSharp-cuda-linux", NativePackages());
        Assert.Contains("TorchSharp-cuda-linux", NativePackages("-p:TorchSharpNative=TorchSharp-cuda-linux"));
        Assert.DoesNotContain("TorchSharp-cpu", NativePackages("-p:TorchSharpNative=TorchSharp-cuda-linux"));

        var versions = XDocument.Load(Repo.Path("Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        Assert.Equal(versions["TorchSharp"], versions["TorchSharp-cpu"]);
        Assert.Equal(versions["TorchSharp"], versions["TorchSharp-cuda-linux"]);
    }

    private static IReadOnlyList<string> NativePackages(params string[] properties)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        foreach (var a in new[] { "msbuild", "silos/ActSearch.Worker/ActSearch.Worker.csproj", "-getItem:PackageReference", "-nologo" }.Concat(properties)) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var err = p.StandardError.ReadToEndAsync();
        string json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"dotnet msbuild failed: {json}{err.Result}");
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(i => i.GetProperty("Identity").GetString()!).Where(n => n.StartsWith("TorchSharp", StringComparison.Ordinal))];
    }

    /// <summary>The health-check script (HEALTHCHECK, and the Jobs' wait for the coordinator) against a real HTTP server.</summary>
    [Fact]
    public async Task The_health_check_script_passes_on_200_and_fails_on_503_or_no_answer()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; probe.Stop(); }
        using var server = new HttpListener();
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await server.GetContextAsync(); } catch (HttpListenerException) { return; } catch (ObjectDisposedException) { return; }
                context.Response.StatusCode = context.Request.Url!.AbsolutePath == "/healthz" ? 200 : 503;
                context.Response.Close();
            }
        });

        var urls = new Dictionary<string, string> { ["ACTSEARCH_URLS"] = $"http://+:{port};http://127.0.0.1:1" };
        Assert.Equal(0, await RunScript(urls, "/healthz"));
        Assert.Equal(0, await RunScript(urls));                       // /healthz is the default
        Assert.Equal(1, await RunScript(urls, "/readyz"));             // 503
        Assert.Equal(0, await RunScript([], $"http://127.0.0.1:{port}/healthz"));
        stop.Cancel();
        server.Stop();
        await serving;
        Assert.Equal(1, await RunScript(urls, "/healthz"));            // nothing listens any more
        Assert.Equal(1, await RunScript([], "/healthz"));              // no ACTSEARCH_URLS, no URL
    }

    private static async Task<int> RunScript(Dictionary<string, string> env, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Repo.Path("deploy/healthcheck.sh"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("ACTSEARCH_URLS");
        foreach (var (k, v) in env) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(timeout.Token);
        return p.ExitCode;
    }
}
