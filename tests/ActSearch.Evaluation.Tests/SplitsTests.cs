using ActSearch.Evaluation.Data;

namespace ActSearch.Evaluation.Tests;

public class SplitsTests
{
    private static Dataset Toy(int n, int classes) =>
        new("toy", [1], [.. Enumerable.Range(0, n).Select(i => (float)i)], [.. Enumerable.Range(0, n).Select(i => i % classes)], null, classes);

    [Fact]
    public void SplitMix64_sequence_is_fixed_by_its_definition()
    {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var r = new SeededRandom(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, r.NextUInt64());
    }

    [Fact]
    public void Same_seed_same_split_other_seed_other_split()
    {
        var d = Toy(100, 4);
        var a = Splits.TrainHeldOut(d, 0.2, 7);
        var b = Splits.TrainHeldOut(d, 0.2, 7);
        var c = Splits.TrainHeldOut(d, 0.2, 8);
        Assert.Equal(a.HeldOut.Features, b.HeldOut.Features);
        Assert.NotEqual(a.HeldOut.Features, c.HeldOut.Features);
    }

    [Fact]
    public void Held_out_part_is_disjoint_complete_and_stratified()
    {
        var d = Toy(100, 4);
        var s = Splits.TrainHeldOut(d, 0.2, 3);
        Assert.Equal(80, s.Train.Count);
        Assert.Equal(20, s.HeldOut.Count);
        Assert.Equal([5, 5, 5, 5], s.HeldOut.ClassCounts());
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (float)i), s.Train.Features.Concat(s.HeldOut.Features).Order());
    }

    [Fact]
    public void Regression_data_split_by_permutation()
    {
        var d = new Dataset("r", [1], new float[10], null, [.. Enumerable.Range(0, 10).Select(i => (float)i)]);
        var s = Splits.TrainHeldOut(d, 0.3, 1);
        Assert.Equal(3, s.HeldOut.Count);
        Assert.Equal(7, s.Train.Count);
    }

    [Fact]
    public void Balanced_subset_takes_the_same_number_of_each_class()
    {
        int[] labels = [.. Enumerable.Range(0, 1000).Select(i => (i * 7) % 10)];
        int[] chosen = Splits.BalancedSubset(labels, 10, 30, 5);
        Assert.Equal(300, chosen.Length);
        Assert.All(chosen.GroupBy(i => labels[i]), g => Assert.Equal(30, g.Count()));
        Assert.Equal(chosen.Order(), chosen);
        Assert.Equal(chosen, Splits.BalancedSubset(labels, 10, 30, 5));
    }
}
