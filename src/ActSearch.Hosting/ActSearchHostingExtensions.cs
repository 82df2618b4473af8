using System.Net;
using ActSearch.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ActSearch.Hosting;

public static class ActSearchHostingExtensions
{
    /// <summary>
    /// Makes this host an ActSearch silo in <paramref name="roles"/>: reads and validates the <c>ACTSEARCH_*</c>
    /// settings (invalid ones stop the start with every problem listed), chooses clustering (localhost, ADO.NET on
    /// PostgreSQL, plus Kubernetes hosting inside a pod) and adds the grains of those roles.
    /// <paramref name="configure"/> runs last, for what a host adds (a storage-backed <see cref="IJobStore"/>,
    /// the TorchSharp scorer, ...).
    /// </summary>
    public static IHostApplicationBuilder AddActSearchSilo(this IHostApplicationBuilder builder, SiloRoles roles, Action<ISiloBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddActSearchEnvironment();
        var settings = builder.Configuration.GetActSearchOptions();
        settings.ApplyData();
        builder.Services.AddOptions<ActSearchOptions>().BindConfiguration(ActSearchOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ActSearchOptions>, ActSearchOptionsValidator>();
        builder.UseOrleans(silo =>
        {
            silo.UseActSearchClustering(settings);
            silo.AddActSearchGrains(roles, w =>
            {
                w.Slots = settings.Slots;
                w.Device = settings.Device;
            });
            configure?.Invoke(silo);
        });
        return builder;
    }

    /// <summary>Binds and validates the <c>ActSearch</c> section now (clustering must be chosen before the host is built).</summary>
    public static ActSearchOptions GetActSearchOptions(this IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new ActSearchOptions();
        configuration.GetSection(ActSearchOptions.Section).Bind(options);
        var result = new ActSearchOptionsValidator().Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(ActSearchOptions.Section, typeof(ActSearchOptions), result.Failures);
        return options;
    }

    /// <summary>
    /// Localhost: development clustering on the loopback address (a second process joins with ACTSEARCH_PRIMARY_SILO).
    /// ADO.NET: Orleans' membership table in PostgreSQL (<c>Invariant = "Npgsql"</c>); the database must hold
    /// Orleans' PostgreSQL-Main.sql and PostgreSQL-Clustering.sql (see README.md). Inside a Kubernetes pod
    /// (POD_NAME and POD_NAMESPACE set), Kubernetes hosting names the silo and removes silos of deleted pods.
    /// </summary>
    public static ISiloBuilder UseActSearchClustering(this ISiloBuilder silo, ActSearchOptions settings)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        if (settings.EffectiveClustering == ClusteringMode.Localhost)
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, settings.PrimarySiloEndpoint, settings.ServiceId, settings.ClusterId);
            return silo;
        }
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = settings.Db;
        });
        // The directory that recovers its ranges from the surviving silos when one dies: with the classic one, a worker
        // silo's death lost the directory entries it held, and coordinators' job grains were re-activated (they resumed
        // from their checkpoints, but re-ran their generation's candidates).
#pragma warning disable ORLEANSEXP003 // experimental in Orleans 10
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        if (InKubernetes())
        {
            silo.UseKubernetesHosting(); // endpoints from POD_IP, silo name from POD_NAME
        }
        else
        {
            silo.Configure<EndpointOptions>(o =>
            {
                o.SiloPort = settings.SiloPort;
                o.GatewayPort = settings.GatewayPort;
                if (settings.AdvertisedIp is { Length: > 0 } ip) o.AdvertisedIPAddress = IPAddress.Parse(ip);
            });
        }
        return silo;
    }

    /// <summary>True inside a Kubernetes pod whose spec passes POD_NAME and POD_NAMESPACE (the downward API), as Orleans' Kubernetes hosting needs.</summary>
    public static bool InKubernetes() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("POD_NAME"))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("POD_NAMESPACE"));
}
