namespace ActSearch.Evolution.Tests;

public class RngTests
{
    [Fact]
    public void One_seed_gives_one_sequence_and_another_seed_another()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var c = new Rng(43);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()));
        Assert.NotEqual(sa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()));
    }

    [Fact]
    public void Matches_the_reference_xoshiro256_starstar_output()
    {
        // From the reference C code seeded with state {1, 2, 3, 4}.
        var rng = Rng.FromState([1, 2, 3, 4]);
        Assert.Equal(11520UL, rng.NextUInt64());
        Assert.Equal(0UL, rng.NextUInt64());
        Assert.Equal(1509978240UL, rng.NextUInt64());
        Assert.Equal(1215971899390074240UL, rng.NextUInt64());
    }

    [Fact]
    public void A_restored_state_continues_the_exact_sequence()
    {
        var rng = new Rng(7);
        for (int i = 0; i < 37; i++) rng.NextGaussian();
        var copy = Rng.FromState(rng.ExportState());
        for (int i = 0; i < 1000; i++) Assert.Equal(rng.NextUInt64(), copy.NextUInt64());
    }

    [Fact]
    public void NextInt_covers_its_range_and_stays_inside_it()
    {
        var rng = new Rng(1);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[rng.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_000, 11_000));
        for (int i = 0; i < 1000; i++) Assert.InRange(rng.NextInt(-2, 2), -2, 2);
    }

    [Fact]
    public void Gaussians_have_mean_zero_and_unit_variance()
    {
        var rng = new Rng(3);
        var xs = Enumerable.Range(0, 100_000).Select(_ => rng.NextGaussian()).ToArray();
        double mean = xs.Average();
        double variance = xs.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.97, 1.03);
    }

    [Fact]
    public void Weighted_choice_follows_the_weights_and_skips_zeros()
    {
        var rng = new Rng(5);
        var counts = new int[3];
        for (int i = 0; i < 30_000; i++) counts[rng.ChooseWeighted([1, 0, 2])]++;
        Assert.Equal(0, counts[1]);
        Assert.InRange(counts[2] / (double)counts[0], 1.8, 2.2);
        Assert.Equal(-1, rng.ChooseWeighted([0, 0]));
    }
}
