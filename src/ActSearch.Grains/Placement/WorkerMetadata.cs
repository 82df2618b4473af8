using System.Globalization;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ActSearch.Grains;

/// <summary>What a silo's published metadata (<see cref="SiloMetadataKeys"/>) says about it, as the coordinator reads it.</summary>
public static class WorkerMetadata
{
    public static SiloRoles RolesOf(SiloMetadata metadata) =>
        SiloMetadataKeys.ParseRoles(metadata.Metadata.TryGetValue(SiloMetadataKeys.Roles, out var r) ? r : null);

    public static int SlotsOf(SiloMetadata metadata) =>
        metadata.Metadata.TryGetValue(SiloMetadataKeys.Slots, out var s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;
}
