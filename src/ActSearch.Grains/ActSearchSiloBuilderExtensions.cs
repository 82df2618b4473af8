using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ActSearch.Grains;

public static class ActSearchSiloBuilderExtensions
{
    /// <summary>
    /// Adds ActSearch's grains to a silo in the given roles, without choosing clustering (hosts and tests do that).
    /// The silo publishes its roles, slots and device as silo metadata. A coordinator silo hosts job grains, with
    /// an <see cref="IJobStore"/> (the in-memory one unless one is registered); a worker silo hosts evaluation
    /// workers, with <see cref="EvaluationSlots"/> and an <see cref="ICandidateScorer"/> (the CPU curve-fit one
    /// unless one is registered). A grain class whose role the silo lacks is left out of the silo's manifest, so
    /// Orleans never places it there.
    /// </summary>
    public static ISiloBuilder AddActSearchGrains(this ISiloBuilder silo, SiloRoles roles, Action<EvaluationWorkerOptions>? worker = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (roles == SiloRoles.None) throw new ArgumentException("A silo needs at least one role.", nameof(roles));
        var workerOptions = new EvaluationWorkerOptions();
        worker?.Invoke(workerOptions);

        var metadata = new Dictionary<string, string> { [SiloMetadataKeys.Roles] = SiloMetadataKeys.Format(roles) };
        if (roles.HasFlag(SiloRoles.Worker))
        {
            metadata[SiloMetadataKeys.Slots] = workerOptions.Slots.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata[SiloMetadataKeys.Device] = workerOptions.Device;
        }
        silo.UseSiloMetadata(metadata);
        silo.AddPlacementDirector<WorkerPlacement, WorkerPlacementDirector>();

        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkerLoadBoard>();
        services.PostConfigure<GrainTypeOptions>(o =>
        {
            if (!roles.HasFlag(SiloRoles.Coordinator)) o.Classes.Remove(typeof(SearchJobGrain));
            if (!roles.HasFlag(SiloRoles.Worker)) o.Classes.Remove(typeof(EvaluationWorkerGrain));
        });

        if (roles.HasFlag(SiloRoles.Coordinator))
        {
            services.AddOptions<SearchJobOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SearchJobOptions>, SearchJobOptionsValidator>());
            services.TryAddSingleton<IJobStore, InMemoryJobStore>();
            services.TryAddSingleton<WorkerSilos>();
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, JobSupervisor>();
        }
        if (roles.HasFlag(SiloRoles.Worker))
        {
            services.AddOptions<EvaluationWorkerOptions>()
                .Configure(o =>
                {
                    o.Slots = workerOptions.Slots;
                    o.Device = workerOptions.Device;
                    o.SearchSpaceCacheSize = workerOptions.SearchSpaceCacheSize;
                    o.ReportRetries = workerOptions.ReportRetries;
                })
                .ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EvaluationWorkerOptions>, EvaluationWorkerOptionsValidator>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CurveFitScorerOptions>, CurveFitScorerOptionsValidator>());
            services.TryAddSingleton<ICandidateScorer, CurveFitCandidateScorer>();
            services.TryAddSingleton<SearchSpaceCache>();
            services.TryAddSingleton<EvaluationSlots>();
        }
        return silo;
    }
}
