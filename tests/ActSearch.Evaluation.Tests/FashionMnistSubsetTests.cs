using ActSearch.Evaluation.Data;

namespace ActSearch.Evaluation.Tests;

public class FashionMnistSubsetTests
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the full data set.</summary>
    private const string DebianSource = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Committed_subset_is_class_balanced_and_scaled()
    {
        var (train, test) = DataSets.FashionMnist();
        Assert.Equal(6000, train.Count);
        Assert.Equal(1000, test.Count);
        Assert.Equal([1, 28, 28], train.FeatureShape);
        Assert.All(train.ClassCounts(), c => Assert.Equal(600, c));
        Assert.All(test.ClassCounts(), c => Assert.Equal(100, c));
        Assert.InRange(train.Features.Max(), 0.99f, 1f);
        Assert.Equal(0f, train.Features.Min());
    }

    /// <summary>
    /// Regenerates the subset from the full data set (when Debian's package is installed) and compares the
    /// decompressed contents with the committed files. With ACTSEARCH_WRITE_DATA=1 it rewrites them instead.
    /// </summary>
    [Fact]
    public void Committed_subset_is_what_the_documented_procedure_makes()
    {
        if (!File.Exists(Path.Combine(DebianSource, "train-images-idx3-ubyte.gz"))) return; // package not installed
        string committed = Path.Combine(DataSets.DefaultDirectory(), DataSets.FashionMnistFolder);
        if (Environment.GetEnvironmentVariable("ACTSEARCH_WRITE_DATA") == "1")
            FashionMnistSubset.Write(DebianSource, committed);
        string fresh = Directory.CreateTempSubdirectory("actsearch-fmnist-").FullName;
        try
        {
            FashionMnistSubset.Write(DebianSource, fresh);
            foreach (var name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            {
                var a = IdxFile.Read(Path.Combine(committed, name));
                var b = IdxFile.Read(Path.Combine(fresh, name));
                Assert.Equal(b.Dimensions, a.Dimensions);
                Assert.True(a.Data.AsSpan().SequenceEqual(b.Data), $"{name} differs from a fresh cut");
            }
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }
}
