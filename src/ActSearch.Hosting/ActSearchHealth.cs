using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ActSearch.Hosting;

/// <summary>
/// The silos' health endpoints, as Kubernetes probes them: <c>GET /healthz</c> (liveness: the process serves HTTP)
/// and <c>GET /readyz</c> (readiness: this silo is an active member of its cluster, plus whatever checks the host
/// adds with the <c>ready</c> tag, e.g. the coordinator's database). Answer: <c>{"status": "ok"}</c> or 503 with why.
/// </summary>
public static class ActSearchHealth
{
    public const string ReadyTag = "ready";

    /// <summary>Registers the silo-membership readiness check; hosts add more with <c>.AddCheck(..., tags: [ReadyTag])</c>.</summary>
    public static IHealthChecksBuilder AddActSearchHealth(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddHealthChecks().AddCheck<SiloActiveCheck>("silo", tags: [ReadyTag]);
    }

    public static IEndpointRouteBuilder MapActSearchHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        string status = report.Status == HealthStatus.Healthy ? "ok" : string.Join("; ",
            report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description ?? e.Value.Status.ToString()}"));
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status }));
    }

    /// <summary>Ready while this silo is Active in the cluster's membership (not while joining, stopping or dead).</summary>
    private sealed class SiloActiveCheck(ISiloStatusOracle oracle) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(oracle.CurrentStatus == SiloStatus.Active
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"the silo is {oracle.CurrentStatus.ToString().ToLowerInvariant()}"));
    }
}
