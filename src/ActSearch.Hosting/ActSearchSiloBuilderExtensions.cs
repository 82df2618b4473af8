using ActSearch.Grains;

namespace ActSearch.Hosting;

public static class ActSearchSiloBuilderExtensions
{
    /// <summary>
    /// Adds ActSearch's grains to a silo in the given roles, without choosing clustering (hosts and tests do that): what
    /// every silo has (<see cref="SiloRoleExtensions.AddSiloRoles"/>), then the coordinator's grains (job grains with an
    /// <see cref="IJobStore"/>, the in-memory one unless one is registered) and the worker's (evaluation workers with
    /// <see cref="EvaluationSlots"/> and an <see cref="ICandidateScorer"/>, the CPU curve-fit one unless one is registered).
    /// </summary>
    public static ISiloBuilder AddActSearchGrains(this ISiloBuilder silo, SiloRoles roles, Action<EvaluationWorkerOptions>? worker = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var workerOptions = new EvaluationWorkerOptions();
        worker?.Invoke(workerOptions);
        silo.AddSiloRoles(roles, workerOptions.Slots, workerOptions.Device);
        if (roles.HasFlag(SiloRoles.Coordinator)) silo.AddCoordinatorGrains();
        if (roles.HasFlag(SiloRoles.Worker)) silo.AddWorkerGrains(workerOptions);
        return silo;
    }
}
