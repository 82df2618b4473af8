using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains;

public static class CoordinatorGrains
{
    /// <summary>
    /// The coordinator role's services: job grains' options, an <see cref="IJobStore"/> (the in-memory one unless one is
    /// registered), the view of the worker silos and the supervisor that wakes unfinished jobs when the silo starts.
    /// </summary>
    public static ISiloBuilder AddCoordinatorGrains(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;
        services.AddOptions<SearchJobOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SearchJobOptions>, SearchJobOptionsValidator>());
        services.TryAddSingleton<IJobStore, InMemoryJobStore>();
        services.TryAddSingleton<WorkerSilos>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, JobSupervisor>();
        return silo;
    }

    /// <summary>Coordinator silos keep jobs, checkpoints, outcomes and the activation catalog in PostgreSQL.</summary>
    public static ISiloBuilder AddPostgresJobStore(this ISiloBuilder silo, ActSearch.Storage.ActSearchStorage storage)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSingleton<IJobStore>(new PostgresJobStore(storage));
        return silo;
    }
}
