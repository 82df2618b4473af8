
namespace ActSearch.Grains;

/// <summary>What a silo does. A laptop runs one silo with both roles; a cluster has coordinators and GPU workers.</summary>
[Flags]
public enum SiloRoles
{
    None = 0,

    /// <summary>Hosts search-job grains (and, later, the HTTP API).</summary>
    Coordinator = 1,

    /// <summary>Hosts evaluation worker grains and the slots they run on.</summary>
    Worker = 2,

    All = Coordinator | Worker,
}

/// <summary>The silo metadata keys ActSearch publishes (Orleans silo metadata, gossiped to every silo).</summary>
public static class SiloMetadataKeys
{
    /// <summary>Comma-separated roles: "coordinator", "worker".</summary>
    public const string Roles = "actsearch.roles";

    /// <summary>Evaluation slots of a worker silo.</summary>
    public const string Slots = "actsearch.slots";

    /// <summary>The device its slots train on: cpu or cuda.</summary>
    public const string Device = "actsearch.device";

    public static string Format(SiloRoles roles) => roles switch
    {
        SiloRoles.All => "coordinator,worker",
        SiloRoles.Coordinator => "coordinator",
        SiloRoles.Worker => "worker",
        _ => "",
    };

    public static SiloRoles ParseRoles(string? text)
    {
        var roles = SiloRoles.None;
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "coordinator" => SiloRoles.Coordinator,
                "worker" => SiloRoles.Worker,
                _ => SiloRoles.None,
            };
        }
        return roles;
    }
}
