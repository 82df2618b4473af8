namespace ActSearch.Evolution.Tests;

public class CoreDependencyTests
{
    [Fact]
    public void Evolution_references_only_the_base_library_and_Expressions()
    {
        var references = typeof(EvolutionEngine).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(references, name => Assert.True(
            name is "ActSearch.Expressions" or "System.Runtime" or "netstandard" || name.StartsWith("System.", StringComparison.Ordinal),
            $"ActSearch.Evolution references {name}"));
    }
}
