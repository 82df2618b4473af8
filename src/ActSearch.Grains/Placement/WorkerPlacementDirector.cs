using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace ActSearch.Grains;

/// <summary>
/// <see cref="WorkerPlacement"/>: among the silos compatible with the grain (those whose manifest has its class),
/// keeps the ones whose metadata declares the worker role, and picks the one with the most free slots on this
/// silo's <see cref="WorkerLoadBoard"/>. With no worker silo in the cluster, placement fails and the job grain
/// dispatches the candidate again later.
/// </summary>
public sealed class WorkerPlacementDirector(ISiloMetadataCache metadata, WorkerLoadBoard board) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var workers = new List<(SiloAddress, int)>();
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            var m = metadata.GetSiloMetadata(silo);
            if ((WorkerMetadata.RolesOf(m) & SiloRoles.Worker) != 0) workers.Add((silo, WorkerMetadata.SlotsOf(m)));
        }
        if (workers.Count == 0)
            throw new OrleansException($"No silo with the worker role can host {target.GrainIdentity}; start a worker silo.");
        return Task.FromResult(board.Choose(workers));
    }
}
