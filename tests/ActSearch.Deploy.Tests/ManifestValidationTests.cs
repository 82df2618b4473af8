namespace ActSearch.Deploy.Tests;

/// <summary>CI renders every kustomization offline and validates every object against the Kubernetes API schema.</summary>
public sealed class ManifestValidationTests
{
    public static TheoryData<string> Kustomizations => [.. Repo.Kustomizations];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void Every_kustomization_renders_and_every_object_validates_against_the_Kubernetes_schema(string kustomization)
    {
        string yaml = Kustomize.Build(Repo.Path(kustomization));
        var result = ManifestValidator.Validate(yaml, kustomization);

        Assert.True(result.Errors.Count == 0, string.Join(Environment.NewLine, result.Errors));
        Assert.NotEmpty(result.Objects);
    }

    /// <summary>A misspelled or wrongly typed field is what a schema check is for: each of these renders but must fail.</summary>
    [Theory]
    [InlineData("imagePullPolicyy", "/spec/template/spec/containers/0/imagePullPolicyy", "\"Always\"", "Property 'imagePullPolicyy' not found on type 'k8s.Models.V1Container'")]
    [InlineData("replica (for replicas)", "/spec/replica", "3", "Property 'replica' not found on type 'k8s.Models.V1StatefulSetSpec'")]
    [InlineData("a number that is text", "/spec/replicas", "\"three\"", "three")]
    [InlineData("a port number that is a name", "/spec/template/spec/containers/0/ports/0/containerPort", "\"http\"", "containerPort: http')")]
    public void A_manifest_with_a_wrong_field_fails_validation_naming_the_object_and_the_field(string what, string path, string value, string expected)
    {
        using var overlay = TemporaryOverlay.Over("k8s/overlays/dev-cpu", $$"""
            patches:
              - target:
                  kind: StatefulSet
                  name: actsearch-worker
                patch: |
                  - op: add
                    path: {{path}}
                    value: {{value}}
            """);

        string yaml = Kustomize.Build(overlay.Directory);
        var result = ManifestValidator.Validate(yaml, "typo-overlay");

        var error = Assert.Single(result.Errors);
        Assert.True(error.Contains("StatefulSet/actsearch-worker", StringComparison.Ordinal), error);
        Assert.True(error.Contains(expected, StringComparison.Ordinal), $"{what}: expected '{expected}' in: {error}");
        Assert.True(error.StartsWith("typo-overlay:", StringComparison.Ordinal), $"{what}: {error}");
    }

    [Fact]
    public void A_kind_the_Kubernetes_API_does_not_define_fails_validation()
    {
        var result = ManifestValidator.Validate("""
            apiVersion: apps/v1
            kind: Deploymnet
            metadata:
              name: x
            """, "inline");

        Assert.Equal("inline:1: Deploymnet/x: apiVersion 'apps/v1' kind 'Deploymnet' is not a type of the Kubernetes API.", Assert.Single(result.Errors));
    }
}
