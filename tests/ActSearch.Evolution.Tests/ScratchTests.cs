namespace ActSearch.Evolution.Tests;
public sealed class ScratchTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(EvolutionMode.SteadyState)]
    [InlineData(EvolutionMode.Generational)]
    public void Tiny(EvolutionMode mode)
    {
        var o = TestSearches.Options(budget: 40) with
        {
            Genome = TestSearches.Options().Genome with { Unary = ["neg", "exp", "tanh", "sigmoid"], Binary = ["add", "sub", "mul", "div"], MaxNodes = 9, MaxDepth = 4, MaxParameters = 0 },
            Selection = new SelectionOptions { Mode = mode, PopulationSize = 8, TournamentSize = 3, OffspringPerGeneration = 4 },
        };
        var engine = new EvolutionEngine(o, 7);
        var scorer = TestSearches.Scorer();
        int rounds = 0;
        while (!engine.IsFinished && rounds++ < 100000)
        {
            var batch = engine.Ask(2);
            if (batch.Count == 0) { output.WriteLine("nothing to ask"); break; }
            foreach (var c in batch) engine.Tell(c.Id, scorer.Score(c));
        }
        output.WriteLine($"{mode}: {engine.Statistics} gen {engine.Generation}");
    }
}
