namespace ActSearch.Grains.Tests;

/// <summary>Search spaces the grain tests submit: small curve-fitting searches the CPU scorer can score in milliseconds.</summary>
internal static class TestSpaces
{
    public const string FileName = "grains-test.yaml";

    /// <summary>Regularized evolution (steady state, the default) on the regression task (GELU target), 16 + 8 per generation, loss and complexity.</summary>
    public const string Regression = """
        name: grains-test
        kind: activation
        seed: 7
        tasks: [regression]
        genome:
          representation: tree
          unary: [neg, exp, tanh, sigmoid, erf, square]
          binary: [add, sub, mul, div]
          constants: [0.5, 1, 2]
          max_nodes: 15
          max_depth: 6
        evolution:
          strategy: regularized
          population: 16
          tournament: 4
          offspring_per_generation: 8
          constant_optimization:
            enabled: true
            iterations: 10
        objectives: [loss@regression, complexity]
        budget:
          evaluations: 48
        """;

    public static JobSpec Spec(int? budget = null, ulong? seed = null, TimeSpan? wallTime = null, string name = "test") =>
        new(Regression, FileName, name, "tests", seed, budget, wallTime);

    /// <summary>The same search in generations (the steady-state default made explicit the other way): one seed, one search.</summary>
    public static JobSpec Generational(int? budget = null, ulong? seed = null) =>
        new(Regression.Replace("  strategy: regularized", "  mode: generational\n  strategy: regularized", StringComparison.Ordinal), FileName, "test", "tests", seed, budget, null);
}
