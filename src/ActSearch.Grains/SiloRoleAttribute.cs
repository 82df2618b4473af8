using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ActSearch.Grains;

/// <summary>The role a grain class belongs to: a silo without that role leaves the class out of its manifest.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloRoleAttribute(SiloRoles role) : Attribute
{
    public SiloRoles Role { get; } = role;
}

public static class SiloRoleExtensions
{
    /// <summary>
    /// What every ActSearch silo has whatever its roles: its roles (and, for a worker, <paramref name="slots"/> and
    /// <paramref name="device"/>) published as silo metadata, worker placement with its load board, and a manifest
    /// without the grain classes of roles it lacks (<see cref="SiloRoleAttribute"/>), so Orleans never places them here.
    /// The role projects add their grains' services (<c>AddCoordinatorGrains</c>, <c>AddWorkerGrains</c>).
    /// </summary>
    public static ISiloBuilder AddSiloRoles(this ISiloBuilder silo, SiloRoles roles, int slots, string device)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (roles == SiloRoles.None) throw new ArgumentException("A silo needs at least one role.", nameof(roles));
        var metadata = new Dictionary<string, string> { [SiloMetadataKeys.Roles] = SiloMetadataKeys.Format(roles) };
        if (roles.HasFlag(SiloRoles.Worker))
        {
            metadata[SiloMetadataKeys.Slots] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata[SiloMetadataKeys.Device] = device;
        }
        silo.UseSiloMetadata(metadata);
        silo.AddPlacementDirector<WorkerPlacement, WorkerPlacementDirector>();
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddSingleton<WorkerLoadBoard>();
        silo.Services.PostConfigure<GrainTypeOptions>(o =>
            o.Classes.RemoveWhere(t => t.GetCustomAttribute<SiloRoleAttribute>() is { } a && (a.Role & roles) == 0));
        return silo;
    }
}
