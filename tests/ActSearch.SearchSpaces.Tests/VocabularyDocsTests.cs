using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;

namespace ActSearch.SearchSpaces.Tests;

/// <summary>
/// The schema documentation (search-spaces/README.md) names everything the registries declare, so a new task, objective,
/// strategy or operator cannot land undocumented.
/// </summary>
public sealed class VocabularyDocsTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RepositoryFiles.SearchSpaces, "README.md"));

    public static TheoryData<string> Names => new(
    [
        .. TaskCatalog.Names, .. ObjectiveRegistry.Names, .. StrategyRegistry.All.Select(s => s.Name), .. OperatorRegistry.Fields,
    ]);

    [Theory]
    [MemberData(nameof(Names))]
    public void The_schema_documentation_names_it(string name) =>
        Assert.True(Readme.Contains($"`{name}`", StringComparison.Ordinal) || Readme.Contains($"`operators.{name}`", StringComparison.Ordinal),
            $"search-spaces/README.md does not mention `{name}`.");

    [Fact]
    public void The_reader_accepts_every_strategy_and_operator_the_registries_declare()
    {
        foreach (var s in StrategyRegistry.All)
        {
            var space = SearchSpaceLoader.LoadFromText($"name: t\nkind: activation\nevolution: {{ strategy: {s.Name} }}\n", "t.yaml");
            Assert.Equal(s.Value, space.Evolution.Selection.Strategy);
        }
        foreach (var op in OperatorRegistry.All)
        {
            var space = SearchSpaceLoader.LoadFromText($"name: t\nkind: activation\nevolution: {{ operators: {{ {op.Field}: 7.5 }} }}\n", "t.yaml");
            Assert.Equal(7.5, op.Weight(space.Evolution.Operators));
        }
    }
}
