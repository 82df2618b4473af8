using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ActSearch.Grains;

/// <summary>The cluster's worker silos as membership and silo metadata show them (used by job grains).</summary>
public sealed class WorkerSilos(IClusterMembershipService membership, ISiloMetadataCache metadata)
{
    /// <summary>Evaluation slots of the active worker silos (0 while none has joined or published its metadata).</summary>
    public int TotalSlots()
    {
        int slots = 0;
        foreach (var m in membership.CurrentSnapshot.Members.Values)
        {
            if (m.Status != SiloStatus.Active) continue;
            var md = metadata.GetSiloMetadata(m.SiloAddress);
            if ((WorkerMetadata.RolesOf(md) & SiloRoles.Worker) != 0) slots += WorkerMetadata.SlotsOf(md);
        }
        return slots;
    }

    /// <summary>False once membership declares the silo dead; its candidates are dispatched again.</summary>
    public bool IsDead(SiloAddress silo) => membership.CurrentSnapshot.GetSiloStatus(silo) == SiloStatus.Dead;
}
