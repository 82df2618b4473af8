using Orleans.Placement;
using Orleans.Runtime;

namespace ActSearch.Grains;

/// <summary>
/// Places an activation on a silo whose metadata declares the worker role, preferring the one with the most free
/// evaluation slots (<see cref="WorkerPlacementDirector"/>). A coordinator-only silo is never chosen.
/// </summary>
[GenerateSerializer, Immutable, Alias("ActSearch.WorkerPlacement")]
public sealed class WorkerPlacement : PlacementStrategy
{
    internal static WorkerPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class for <see cref="WorkerPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class WorkerPlacementAttribute() : PlacementAttribute(WorkerPlacement.Instance);
