using ActSearch.Evolution;
using ActSearch.SearchSpaces;

namespace ActSearch.Grains;

public static class JobSpecs
{
    /// <summary>
    /// The search a spec asks for: its space, validated, with the spec's seed and budget overrides applied (what the job
    /// grain runs, and what <see cref="ResolvedJob.Of"/> hands the store).
    /// </summary>
    /// <exception cref="InvalidJobException">The space has errors (each an item with file, line and column) or a budget is not positive.</exception>
    public static SearchSpace Load(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!SearchSpaceLoader.TryLoadFromText(spec.SpaceYaml, spec.SpaceFileName, out var space, out var errors))
            throw new InvalidJobException([.. errors.Select(e => new JobProblem(e.File, e.Line, e.Column, e.Message))]);
        if (spec.BudgetEvaluations is <= 0) throw new InvalidJobException("The evaluation budget must be positive.");
        if (spec.BudgetWallTime is { } w && w <= TimeSpan.Zero) throw new InvalidJobException("The wall-time budget must be positive.");
        var budget = space.Evolution.Budget;
        var evolution = space.Evolution with
        {
            Budget = new Budget(spec.BudgetEvaluations ?? budget.Evaluations, spec.BudgetWallTime ?? budget.WallTime),
        };
        return space with { Seed = spec.Seed ?? space.Seed, Evolution = evolution };
    }
}
