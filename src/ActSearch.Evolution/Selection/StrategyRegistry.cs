using System.Collections.Immutable;

namespace ActSearch.Evolution;

/// <summary>A selection strategy as search spaces name it (<c>evolution.strategy</c>), with how to make it from the options.</summary>
public sealed record StrategyDefinition(string Name, SelectionStrategy Value, string Description, Func<SelectionOptions, ISelectionStrategy> Create);

/// <summary>
/// Every selection strategy, declared once: the engine makes its strategy from here (<see cref="ISelectionStrategy.For"/>)
/// and the search-space reader takes the names from here. To add a strategy: its class (an <see cref="ISelectionStrategy"/>),
/// a <see cref="SelectionStrategy"/> value and an entry here.
/// </summary>
public static class StrategyRegistry
{
    public static ImmutableArray<StrategyDefinition> All { get; } =
    [
        new("regularized", SelectionStrategy.Regularized, "Real et al.'s regularized evolution: tournament on the first objective, the oldest dies",
            o => new RegularizedEvolution(o.TournamentSize)),
        new("nsga2", SelectionStrategy.Nsga2, "Deb et al.'s NSGA-II: non-dominated sorting and crowding distance, (mu + lambda), duplicates eliminated",
            _ => new Nsga2Selection()),
        new("multi_objective_tournament", SelectionStrategy.MultiObjectiveTournament,
            "EvoNorms: a random member of the Pareto front of a random tournament is the parent", o => new MultiObjectiveTournament(o.TournamentSize)),
        new("random", SelectionStrategy.Random, "baseline: every candidate drawn fresh from the initializer", _ => new RandomSearch()),
    ];

    /// <exception cref="ArgumentOutOfRangeException">The value has no entry.</exception>
    public static StrategyDefinition Of(SelectionStrategy value) =>
        All.FirstOrDefault(s => s.Value == value) ?? throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown selection strategy.");
}
