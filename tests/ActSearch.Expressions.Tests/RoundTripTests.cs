using ActSearch.Expressions;

namespace ActSearch.Expressions.Tests;

public class RoundTripTests
{
    [Fact]
    public void Hundred_thousand_random_graphs_print_and_parse_back_to_the_same_function()
    {
        var graphs = new RandomGraphs(seed: 7);
        var xs = Fingerprint.ScalarProbe.ToArray();
        for (int i = 0; i < 100_000; i++)
        {
            var e = graphs.Next();
            string text = e.ToString();
            var back = ExprParser.Parse(text);
            Assert.True(e.Equals(back), $"{text} read back as {back}");
            if (i % 4 == 0)
            {
                // Checked by evaluation too: the same numbers, NaN where the original is NaN.
                var y1 = CompiledExpr.Compile(e).Evaluate(xs);
                var y2 = CompiledExpr.Compile(back).Evaluate(xs);
                Assert.True(y1.SequenceEqual(y2), $"{text}: {string.Join(',', y1.Zip(y2).Where(p => !p.First.Equals(p.Second)).Take(3))}");
            }
        }
    }

    [Fact]
    public void Layer_graphs_round_trip_with_per_channel_parameters()
    {
        var graphs = new RandomGraphs(seed: 11, withAggregates: true);
        var options = new ParseOptions { DefaultParameterShape = ParameterShape.PerChannel };
        for (int i = 0; i < 5_000; i++)
        {
            var e = graphs.Next();
            Assert.Equal(e, ExprParser.Parse(TextPrinter.Print(e, ParameterShape.PerChannel), options));
            Assert.Equal(e, ExprParser.Parse(e.ToString()));
        }
    }

    [Theory]
    [InlineData(1e-5, "1e-5")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e21, "1e21")]
    [InlineData(0.7978845608, "0.7978845608")]
    public void Numbers_print_in_the_shortest_form_that_reads_back_exactly(double value, string text)
    {
        Assert.Equal(text, TextPrinter.FormatNumber(value));
        Assert.Equal(value, ((Constant)ExprParser.Parse(text)).Value);
    }
}
