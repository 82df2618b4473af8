using System.Reflection;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActSearch.Deploy.Tests;

/// <summary>One object of a rendered manifest stream, read into its Kubernetes API type.</summary>
internal sealed record ManifestObject(string ApiVersion, string Kind, string Name, string? Namespace, IKubernetesObject Model)
{
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>
/// Validates manifests against the Kubernetes API schema without a cluster. The schema is the one the KubernetesClient
/// package's models were generated from (the Kubernetes OpenAPI document): each document is read into the model of its
/// apiVersion and kind with KubernetesClient's strict YAML reader, so a field the schema does not have (a typo such as
/// <c>imagePullPolicyy</c>), a value of the wrong type or a repeated key is an error, and so is an object of a kind the
/// API does not define. Errors name the line in the stream, the object and the offending line.
/// <para>
/// Not checked: fields the schema marks required. KubernetesClient 21.0.8's models do not carry that list (newer
/// releases mark them C# <c>required</c>); kubectl's server-side dry run does, against a cluster.
/// </para>
/// </summary>
internal static class ManifestValidator
{
    private static readonly Dictionary<string, Type> Types = typeof(KubernetesEntityAttribute).Assembly.GetTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(x => x.Entity is not null && x.Type.Namespace == typeof(V1Pod).Namespace)
        .ToDictionary(x => (string.IsNullOrEmpty(x.Entity!.Group) ? "" : x.Entity.Group + "/") + x.Entity.ApiVersion + "/" + x.Entity.Kind, x => x.Type);

    /// <summary>Reads and validates a YAML stream (what <c>kubectl kustomize</c> prints); <paramref name="source"/> names it in errors.</summary>
    public static ValidationResult Validate(string yamlStream, string source)
    {
        ArgumentNullException.ThrowIfNull(yamlStream);
        var objects = new List<ManifestObject>();
        var errors = new List<string>();
        foreach (var (text, firstLine) in SplitDocuments(yamlStream))
        {
            string where = $"{source}:{firstLine}";
            YamlMappingNode root;
            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(text));
                if (stream.Documents.Count == 0) continue;
                if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
                {
                    errors.Add($"{where}: a document is not a mapping.");
                    continue;
                }
                root = mapping;
            }
            catch (YamlException e)
            {
                errors.Add($"{where}: not YAML: line {firstLine + (int)e.Start.Line - 1}: {Innermost(e).Message}");
                continue;
            }

            string apiVersion = Scalar(root, "apiVersion") ?? "", kind = Scalar(root, "kind") ?? "";
            string name = root.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) && m is YamlMappingNode meta
                ? Scalar(meta, "name") ?? "" : "";
            string ns = root.Children.TryGetValue(new YamlScalarNode("metadata"), out var m2) && m2 is YamlMappingNode meta2
                ? Scalar(meta2, "namespace") ?? "" : "";
            string label = $"{(kind.Length > 0 ? kind : "?")}/{(name.Length > 0 ? name : "?")}";
            if (apiVersion.Length == 0 || kind.Length == 0)
            {
                errors.Add($"{where}: {label}: apiVersion and kind are required.");
                continue;
            }
            if (!Types.TryGetValue($"{apiVersion}/{kind}", out var type))
            {
                errors.Add($"{where}: {label}: apiVersion '{apiVersion}' kind '{kind}' is not a type of the Kubernetes API.");
                continue;
            }

            IKubernetesObject model;
            try
            {
                model = (IKubernetesObject)KubernetesYaml.LoadAllFromString(text, strict: true).Single();
            }
            catch (YamlException e)
            {
                var inner = Innermost(e);
                var at = inner is YamlException y ? y.Start : e.Start;
                string[] docLines = text.Split('\n');
                string offending = at.Line >= 1 && at.Line <= docLines.Length ? docLines[at.Line - 1].Trim() : "";
                errors.Add($"{source}:{firstLine + (int)at.Line - 1}: {label}: {Describe(inner)} (at '{offending}')");
                continue;
            }

            // kubectl apply needs a name; the schema allows generateName instead, which apply does not take.
            if (name.Length == 0) errors.Add($"{where}: {label}: metadata.name is required.");
            else objects.Add(new ManifestObject(apiVersion, kind, name, ns.Length > 0 ? ns : null, model));
        }
        return new ValidationResult(objects, errors);
    }

    /// <summary>Splits a YAML stream at its <c>---</c> lines (kubectl prints one per document), keeping each document's first line number.</summary>
    private static IEnumerable<(string Text, int FirstLine)> SplitDocuments(string stream)
    {
        var lines = stream.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var current = new List<string>();
        int first = 1;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i] == "---" || lines[i].StartsWith("--- ", StringComparison.Ordinal))
            {
                if (current.Any(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))) yield return (string.Join('\n', current), first);
                current.Clear();
                first = i + 2;
                continue;
            }
            current.Add(lines[i]);
        }
        if (current.Any(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))) yield return (string.Join('\n', current), first);
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    /// <summary>YamlDotNet's message without its "(Line: .., Col: ..)" prefix, which the caller turns into a stream line.</summary>
    private static string Describe(Exception e)
    {
        string message = e.Message;
        int close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && close > 0 ? message[(close + 3)..] : message;
    }
}

internal sealed record ValidationResult(IReadOnlyList<ManifestObject> Objects, IReadOnlyList<string> Errors);
