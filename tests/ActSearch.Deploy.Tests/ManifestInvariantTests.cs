using ActSearch.Testing;
using k8s.Models;

namespace ActSearch.Deploy.Tests;

/// <summary>What must hold in the rendered manifests for the cluster to work as designed.</summary>
public sealed class ManifestInvariantTests
{
    public static TheoryData<string> Kustomizations => [.. Repo.Kustomizations];
    public static TheoryData<string> Installations => ["k8s/overlays/dev-cpu", "k8s/overlays/gpu"];

    private static V1Container Worker(Rendered r) => r.Workers.Spec.Template.Spec.Containers.Single(c => c.Name == "worker");

    [Fact]
    public void Gpu_workers_request_one_nvidia_gpu_and_are_scheduled_only_on_gpu_nodes()
    {
        var gpu = Rendered.Of("k8s/overlays/gpu");
        var worker = Worker(gpu);
        Assert.Equal("1", worker.Resources.Requests["nvidia.com/gpu"].ToString());
        Assert.Equal("1", worker.Resources.Limits["nvidia.com/gpu"].ToString());
        var pod = gpu.Workers.Spec.Template.Spec;
        Assert.Equal("true", pod.NodeSelector["nvidia.com/gpu.present"]);
        Assert.Contains(pod.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule" && t.OperatorProperty == "Exists");
        Assert.Contains("worker-cuda", worker.Image, StringComparison.Ordinal);
        Assert.Equal("cuda", ConfigMapOf(gpu, "actsearch-worker")["ACTSEARCH_DEVICE"]);
    }

    [Fact]
    public void Cpu_workers_request_no_gpu_and_no_gpu_nodes()
    {
        var dev = Rendered.Of("k8s/overlays/dev-cpu");
        var worker = Worker(dev);
        Assert.DoesNotContain("nvidia.com/gpu", worker.Resources.Requests.Keys);
        Assert.DoesNotContain("nvidia.com/gpu", worker.Resources.Limits.Keys);
        Assert.Null(dev.Workers.Spec.Template.Spec.NodeSelector);
        Assert.Equal("cpu", ConfigMapOf(dev, "actsearch-worker")["ACTSEARCH_DEVICE"]);
        // One evaluation slot per CPU the worker may use.
        Assert.Equal(worker.Resources.Limits["cpu"].ToString(), ConfigMapOf(dev, "actsearch-worker")["ACTSEARCH_SLOTS"]);
    }

    /// <summary>
    /// Orleans' Kubernetes hosting (KubernetesClusterAgent, Microsoft.Orleans.Hosting.Kubernetes 10.4.2) reads its own
    /// pod, merge-patches the orleans/* labels onto it, lists the cluster's pods and watches them. Nothing more: it
    /// deletes pods only with DeleteDefunctSiloPods, which ActSearch leaves off.
    /// </summary>
    [Theory]
    [MemberData(nameof(Installations))]
    public void The_silos_service_account_may_do_exactly_what_Orleans_Kubernetes_hosting_does_with_pods(string overlay)
    {
        var r = Rendered.Of(overlay);
        var rule = Assert.Single(r.One<V1Role>("actsearch-orleans-hosting").Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["get", "list", "patch", "watch"], rule.Verbs.Order(StringComparer.Ordinal));

        var binding = r.One<V1RoleBinding>("actsearch-orleans-hosting");
        Assert.Equal(("Role", "actsearch-orleans-hosting"), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "actsearch-silo", "actsearch"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Equal("actsearch-silo", r.One<V1ServiceAccount>("actsearch-silo").Metadata.Name);
        foreach (var pod in new[] { r.Coordinator.Spec.Template, r.Workers.Spec.Template })
        {
            Assert.Equal("actsearch-silo", pod.Spec.ServiceAccountName);
            Assert.True(pod.Spec.AutomountServiceAccountToken, "Orleans' Kubernetes hosting needs the service account token");
        }
    }

    /// <summary>
    /// ActSearch turns Kubernetes hosting on when POD_NAME and POD_NAMESPACE are set; the hosting names the silo after
    /// POD_NAME, advertises POD_IP, lets ORLEANS_CLUSTER_ID/ORLEANS_SERVICE_ID win over ActSearch's ids and finds the
    /// cluster's pods by the orleans/clusterId and orleans/serviceId labels. All of them must agree with env/common.env.
    /// </summary>
    [Theory]
    [MemberData(nameof(Installations))]
    public void Silo_pods_carry_the_labels_and_downward_api_environment_of_Orleans_Kubernetes_hosting(string overlay)
    {
        var r = Rendered.Of(overlay);
        var common = EnvFile.Read(Repo.Path("k8s/base/env/common.env"));
        foreach (var pod in new[] { r.Coordinator.Spec.Template, r.Workers.Spec.Template })
        {
            Assert.Equal(common["ACTSEARCH_CLUSTER_ID"], pod.Metadata.Labels["orleans/clusterId"]);
            Assert.Equal(common["ACTSEARCH_SERVICE_ID"], pod.Metadata.Labels["orleans/serviceId"]);
            var env = pod.Spec.Containers[0].Env.ToDictionary(e => e.Name);
            Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.labels['orleans/clusterId']", env["ORLEANS_CLUSTER_ID"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.labels['orleans/serviceId']", env["ORLEANS_SERVICE_ID"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal(("actsearch-db", "connection-string"), (env["ACTSEARCH_DB"].ValueFrom.SecretKeyRef.Name, env["ACTSEARCH_DB"].ValueFrom.SecretKeyRef.Key));
            Assert.Equal("adonet", common["ACTSEARCH_CLUSTERING"]);
        }
    }

    /// <summary>
    /// Inside a pod, Orleans' Kubernetes hosting listens on EndpointOptions' ports, which ActSearch leaves at Orleans'
    /// defaults there (src/ActSearch.Hosting/ActSearchHostingExtensions.cs); the env files, the container ports and
    /// those defaults must therefore be one set of numbers.
    /// </summary>
    [Theory]
    [MemberData(nameof(Installations))]
    public void Container_ports_are_the_env_files_ports(string overlay)
    {
        var r = Rendered.Of(overlay);
        var defaults = new Orleans.Configuration.EndpointOptions();
        foreach (var (container, env) in new[] { (r.Coordinator.Spec.Template.Spec.Containers[0], Settings.Coordinator), (Worker(r), Settings.Worker) })
        {
            var ports = container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
            Assert.Equal(Settings.HttpPort(env), ports["http"]);
            Assert.Equal(int.Parse(env["ACTSEARCH_SILO_PORT"], System.Globalization.CultureInfo.InvariantCulture), ports["silo"]);
            Assert.Equal(int.Parse(env["ACTSEARCH_GATEWAY_PORT"], System.Globalization.CultureInfo.InvariantCulture), ports["gateway"]);
            Assert.Equal(defaults.SiloPort, ports["silo"]);
            Assert.Equal(defaults.GatewayPort, ports["gateway"]);
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Workload_selectors_match_their_pod_labels(string kustomization)
    {
        var r = Rendered.Of(kustomization);
        foreach (var d in r.All<V1Deployment>()) AssertSelects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels, $"Deployment/{d.Metadata.Name}");
        foreach (var s in r.All<V1StatefulSet>())
        {
            AssertSelects(s.Spec.Selector.MatchLabels, s.Spec.Template.Metadata.Labels, $"StatefulSet/{s.Metadata.Name}");
            var governing = r.One<V1Service>(s.Spec.ServiceName);
            AssertSelects(governing.Spec.Selector, s.Spec.Template.Metadata.Labels, $"Service/{governing.Metadata.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_service_selects_pods_of_the_same_installation_and_targets_a_named_port_they_have(string kustomization)
    {
        var r = Rendered.Of(kustomization);
        var templates = r.PodTemplates().ToList();
        foreach (var service in r.All<V1Service>())
        {
            var selected = templates.Where(t => service.Spec.Selector.All(kv => t.Template.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
            Assert.True(selected.Count == 1, $"Service/{service.Metadata.Name} selects {selected.Count} workloads: {string.Join(", ", selected.Select(s => s.Workload))}");
            foreach (var port in service.Spec.Ports)
                Assert.Contains(selected[0].Template.Spec.Containers.SelectMany(c => c.Ports), p => p.Name == port.TargetPort.Value);
        }
    }

    [Fact]
    public void The_worker_disruption_budget_selects_the_worker_pods_and_only_those()
    {
        var r = Rendered.Of("k8s/overlays/gpu");
        var pdb = Assert.Single(r.All<V1PodDisruptionBudget>());
        AssertSelects(pdb.Spec.Selector.MatchLabels, r.Workers.Spec.Template.Metadata.Labels, "PodDisruptionBudget");
        Assert.False(pdb.Spec.Selector.MatchLabels.All(kv => r.Coordinator.Spec.Template.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value));
        Assert.Equal("1", pdb.Spec.MaxUnavailable.Value);
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_image_is_pinned_by_a_tag(string kustomization)
    {
        foreach (var (workload, template) in Rendered.Of(kustomization).PodTemplates())
            foreach (var c in AllContainers(template))
            {
                string image = c.Image;
                string last = image[(image.LastIndexOf('/') + 1)..];
                bool digest = image.Contains("@sha256:", StringComparison.Ordinal);
                int colon = last.IndexOf(':', StringComparison.Ordinal);
                Assert.True(digest || (colon > 0 && colon < last.Length - 1), $"{workload} container {c.Name}: image '{image}' has no tag");
                Assert.False(!digest && last.EndsWith(":latest", StringComparison.Ordinal), $"{workload} container {c.Name}: image '{image}' is :latest");
            }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void No_container_runs_as_root_or_may_gain_privileges(string kustomization)
    {
        foreach (var (workload, template) in Rendered.Of(kustomization).PodTemplates())
        {
            var pod = template.Spec.SecurityContext;
            foreach (var c in AllContainers(template))
            {
                var sc = c.SecurityContext;
                bool nonRoot = sc?.RunAsNonRoot ?? pod?.RunAsNonRoot ?? false;
                long? uid = sc?.RunAsUser ?? pod?.RunAsUser;
                Assert.True(nonRoot, $"{workload} container {c.Name} lacks runAsNonRoot: true");
                Assert.True(uid is > 0, $"{workload} container {c.Name} runs as uid {uid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(image default)"}");
                Assert.True(sc?.AllowPrivilegeEscalation == false, $"{workload} container {c.Name} may escalate privileges");
                Assert.Contains("ALL", sc?.Capabilities?.Drop ?? []);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_container_has_cpu_and_memory_requests_and_limits(string kustomization)
    {
        foreach (var (workload, template) in Rendered.Of(kustomization).PodTemplates())
            foreach (var c in AllContainers(template))
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    Assert.True(c.Resources?.Requests?.ContainsKey(resource) == true, $"{workload} container {c.Name} requests no {resource}");
                    Assert.True(c.Resources?.Limits?.ContainsKey(resource) == true, $"{workload} container {c.Name} has no {resource} limit");
                    Assert.True(c.Resources.Requests[resource].ToDecimal() <= c.Resources.Limits[resource].ToDecimal(), $"{workload} container {c.Name}: {resource} request above its limit");
                }
    }

    [Theory]
    [MemberData(nameof(Installations))]
    public void Silos_are_probed_on_their_health_endpoints_on_the_env_files_http_port(string overlay)
    {
        var r = Rendered.Of(overlay);
        foreach (var c in new[] { r.Coordinator.Spec.Template.Spec.Containers[0], Worker(r) })
        {
            Assert.Equal(("/healthz", "http"), (c.LivenessProbe.HttpGet.Path, c.LivenessProbe.HttpGet.Port.Value));
            Assert.Equal(("/readyz", "http"), (c.ReadinessProbe.HttpGet.Path, c.ReadinessProbe.HttpGet.Port.Value));
            Assert.Equal(("/healthz", "http"), (c.StartupProbe.HttpGet.Path, c.StartupProbe.HttpGet.Port.Value));
        }
    }

    /// <summary>The secrets and config maps the pods read exist in the build, or (gpu) are the ones the README has the operator create.</summary>
    [Theory]
    [MemberData(nameof(Installations))]
    public void Every_secret_and_config_map_the_pods_read_exists_or_is_created_by_the_operator(string overlay)
    {
        var r = Rendered.Of(overlay);
        var secrets = r.All<V1Secret>().Select(s => s.Metadata.Name).ToHashSet();
        var maps = r.All<V1ConfigMap>().Select(m => m.Metadata.Name).ToHashSet();
        string readme = File.ReadAllText(Repo.Path("README.md"));
        foreach (var (workload, template) in r.PodTemplates())
        {
            var c = template.Spec.Containers[0];
            foreach (var name in (c.EnvFrom ?? []).Select(e => e.ConfigMapRef.Name))
                Assert.True(maps.Contains(name), $"{workload} reads ConfigMap {name}, which {overlay} does not make");
            var secretNames = (c.Env ?? []).Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef.Name)
                .Concat((template.Spec.Volumes ?? []).Where(v => v.Secret is not null).Select(v => v.Secret.SecretName));
            foreach (var name in secretNames)
                Assert.True(secrets.Contains(name) || readme.Contains($"create secret generic {name}", StringComparison.Ordinal),
                    $"{workload} reads Secret {name}: {overlay} neither makes it nor does README.md say how to create it");
        }
    }

    /// <summary>The single search: `actsearch submit --wait` on the mounted space, its token from a Secret, bounded in time and retries.</summary>
    [Fact]
    public void The_batch_job_submits_its_config_map_space_and_waits_with_a_deadline_and_a_backoff_limit()
    {
        var r = Rendered.Of("k8s/batch/search");
        var job = Assert.Single(r.All<V1Job>());
        Assert.True(job.Spec.ActiveDeadlineSeconds > 0, "no activeDeadlineSeconds");
        Assert.True(job.Spec.BackoffLimit is >= 0 and <= 6, "backoffLimit");
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);

        var submit = job.Spec.Template.Spec.Containers.Single(c => c.Name == "submit");
        Assert.Equal(["actsearch"], submit.Command);
        Assert.Equal(["submit", "/config/space.yaml", "--server", "http://actsearch-coordinator:5080"], submit.Args.Take(4));
        Assert.Contains("--wait", submit.Args);
        AssertTokenFromSecret(submit);

        // The file it submits is the ConfigMap's, mounted where the arguments say.
        var mount = submit.VolumeMounts.Single(m => m.MountPath == "/config");
        var volume = job.Spec.Template.Spec.Volumes.Single(v => v.Name == mount.Name);
        var map = r.One<V1ConfigMap>(volume.ConfigMap.Name);
        Assert.Equal(["space.yaml"], map.Data.Keys);

        // Exit 1 (the search failed) and 2 (a wrong space) must not re-submit.
        var rule = job.Spec.PodFailurePolicy.Rules.Single(x => x.OnExitCodes is not null);
        Assert.Equal("FailJob", rule.Action);
        Assert.Equal([1, 2], rule.OnExitCodes.Values);
        AssertServerIsTheCoordinatorService(submit.Args);
    }

    [Fact]
    public void The_sweep_is_an_indexed_job_with_one_index_per_search_space()
    {
        var r = Rendered.Of("k8s/batch/sweep");
        var job = Assert.Single(r.All<V1Job>());
        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.True(job.Spec.ActiveDeadlineSeconds > 0, "no activeDeadlineSeconds");
        Assert.True(job.Spec.BackoffLimitPerIndex is >= 0 || job.Spec.BackoffLimit is >= 0, "no backoff limit");
        var volume = job.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null);
        var map = r.One<V1ConfigMap>(volume.ConfigMap.Name);
        Assert.Equal(map.Data.Count, job.Spec.Completions);
        Assert.All(map.Data.Keys, k => Assert.EndsWith(".yaml", k, StringComparison.Ordinal));
        var submit = job.Spec.Template.Spec.Containers.Single(c => c.Name == "submit");
        string script = string.Join('\n', submit.Args);
        Assert.Contains("$JOB_COMPLETION_INDEX", script, StringComparison.Ordinal);
        Assert.Contains("actsearch submit", script, StringComparison.Ordinal);
        Assert.Contains("--wait", script, StringComparison.Ordinal);
        AssertTokenFromSecret(submit);
        AssertServerIsTheCoordinatorService(script.Split(' ', '\n'));
    }

    /// <summary>The Jobs name the Service of the installation they run against.</summary>
    private static void AssertServerIsTheCoordinatorService(IEnumerable<string> args)
    {
        var service = Rendered.Of("k8s/overlays/dev-cpu").One<V1Service>("actsearch-coordinator");
        Assert.Contains($"http://{service.Metadata.Name}:{service.Spec.Ports.Single().Port}", args);
    }

    private static void AssertTokenFromSecret(V1Container c)
    {
        var token = c.Env.Single(e => e.Name == "ACTSEARCH_TOKEN");
        Assert.Null(token.Value);
        Assert.Equal(("actsearch-api", "token"), (token.ValueFrom.SecretKeyRef.Name, token.ValueFrom.SecretKeyRef.Key));
        // The same Secret the coordinator reads its accepted tokens from.
        var volume = Rendered.Of("k8s/overlays/dev-cpu").Coordinator.Spec.Template.Spec.Volumes.Single(v => v.Secret is not null);
        Assert.Equal("actsearch-api", volume.Secret.SecretName);
        Assert.Equal("token", Assert.Single(volume.Secret.Items).Key);
    }

    private static Dictionary<string, string> ConfigMapOf(Rendered r, string prefix) =>
        new(r.All<V1ConfigMap>().Single(m => m.Metadata.Name.StartsWith(prefix + "-", StringComparison.Ordinal) && m.Metadata.Name.Length == prefix.Length + 11).Data);

    private static IEnumerable<V1Container> AllContainers(V1PodTemplateSpec t) => t.Spec.Containers.Concat(t.Spec.InitContainers ?? []);

    private static void AssertSelects(IDictionary<string, string> selector, IDictionary<string, string> labels, string what)
    {
        Assert.True(selector is { Count: > 0 }, $"{what} has an empty selector");
        foreach (var (k, v) in selector)
            Assert.True(labels.TryGetValue(k, out var actual) && actual == v, $"{what} selects {k}={v}, which the pods lack");
    }
}
