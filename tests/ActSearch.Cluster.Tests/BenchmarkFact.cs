namespace ActSearch.Cluster.Tests;

/// <summary>A test that runs only when ACTSEARCH_BENCH is set (it measures, it does not assert on time).</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("ACTSEARCH_BENCH") is not { Length: > 0 }) Skip = "a benchmark: set ACTSEARCH_BENCH=1 to run it";
    }
}
