using System.Reflection;

namespace ActSearch.Expressions.Tests;

public class CoreDependencyTests
{
    [Fact]
    public void Expressions_references_only_the_base_library()
    {
        var referenced = typeof(ActSearch.Expressions.Expr).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(referenced, name => Assert.True(name.StartsWith("System", StringComparison.Ordinal) || name == "netstandard",
            $"ActSearch.Expressions must stay infrastructure-free but references {name}"));
        Assert.DoesNotContain(referenced, n => n.Contains("Orleans", StringComparison.Ordinal) || n.Contains("Torch", StringComparison.Ordinal) || n.Contains("Npgsql", StringComparison.Ordinal));
    }
}
