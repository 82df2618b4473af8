namespace ActSearch.Benchmarks;

public static class FitVersusDeap
{
    public static void Run(double seconds) => throw new NotImplementedException();
}
