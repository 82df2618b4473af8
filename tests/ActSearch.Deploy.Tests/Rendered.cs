using System.Collections.Concurrent;
using k8s.Models;

namespace ActSearch.Deploy.Tests;

/// <summary>A kustomization rendered once per test run and read into API objects (it must validate).</summary>
internal sealed class Rendered
{
    private static readonly ConcurrentDictionary<string, Lazy<Rendered>> Cache = new(StringComparer.Ordinal);

    public string Kustomization { get; }
    public IReadOnlyList<ManifestObject> Objects { get; }

    private Rendered(string kustomization)
    {
        Kustomization = kustomization;
        var result = ManifestValidator.Validate(Kustomize.Build(Repo.Path(kustomization)), kustomization);
        if (result.Errors.Count > 0) throw new InvalidOperationException(string.Join(Environment.NewLine, result.Errors));
        Objects = result.Objects;
    }

    public static Rendered Of(string kustomization) =>
        Cache.GetOrAdd(kustomization, k => new Lazy<Rendered>(() => new Rendered(k))).Value;

    public IEnumerable<T> All<T>() => Objects.Select(o => o.Model).OfType<T>();

    public T One<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new InvalidOperationException($"{Kustomization} has no {typeof(T).Name} named {name}.");

    /// <summary>Every pod template with the name of the workload that owns it.</summary>
    public IEnumerable<(string Workload, V1PodTemplateSpec Template)> PodTemplates()
    {
        foreach (var d in All<V1Deployment>()) yield return ($"Deployment/{d.Metadata.Name}", d.Spec.Template);
        foreach (var s in All<V1StatefulSet>()) yield return ($"StatefulSet/{s.Metadata.Name}", s.Spec.Template);
        foreach (var j in All<V1Job>()) yield return ($"Job/{j.Metadata.Name}", j.Spec.Template);
    }

    public V1StatefulSet Workers => One<V1StatefulSet>("actsearch-worker");
    public V1Deployment Coordinator => One<V1Deployment>("actsearch-coordinator");
}
