using ActSearch.Evaluation.Data;
using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ActSearch.Grains.Tests;

public sealed class HostingTests
{
    private static ActSearchOptions Read(params (string Key, string Value)[] environment)
    {
        var env = environment.ToDictionary(e => e.Key, e => (object)e.Value);
        var config = new ConfigurationBuilder().AddActSearchEnvironment(env).Build();
        return config.GetActSearchOptions();
    }

    [Fact]
    public void ACTSEARCH_variables_land_in_the_ActSearch_section()
    {
        var o = Read(("ACTSEARCH_SLOTS", "3"), ("ACTSEARCH_DEVICE", "cuda"), ("ACTSEARCH_CLUSTER_ID", "lab"),
            ("ACTSEARCH_PRIMARY_SILO", "127.0.0.1:11111"), ("ACTSEARCH_SILO_PORT", "11112"), ("OTHER", "x"));

        Assert.Equal(3, o.Slots);
        Assert.Equal("cuda", o.Device);
        Assert.Equal("lab", o.ClusterId);
        Assert.Equal(11112, o.SiloPort);
        Assert.Equal(11111, o.PrimarySiloEndpoint!.Port);
        Assert.Equal(ClusteringMode.Localhost, o.EffectiveClustering);
        Assert.Equal("ClusterId", ActSearchEnvironment.KeyOf("CLUSTER_ID"));
    }

    [Fact]
    public void A_database_makes_ADO_NET_the_default_clustering()
    {
        var o = Read(("ACTSEARCH_DB", "Host=db;Username=actsearch"));
        Assert.Equal(ClusteringMode.AdoNet, o.EffectiveClustering);
        Assert.Equal(ClusteringMode.Localhost, Read(("ACTSEARCH_DB", "Host=db"), ("ACTSEARCH_CLUSTERING", "localhost")).EffectiveClustering);
    }

    [Fact]
    public void Invalid_settings_stop_the_start_naming_each_variable()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Read(
            ("ACTSEARCH_SLOTS", "0"), ("ACTSEARCH_DEVICE", "tpu"), ("ACTSEARCH_CLUSTERING", "adonet"), ("ACTSEARCH_PRIMARY_SILO", "nowhere"),
            ("ACTSEARCH_FUSION", "always")));

        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_SLOTS", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_DEVICE", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_DB", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_PRIMARY_SILO", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_FUSION is 'always'; use auto, on or off", StringComparison.Ordinal));
    }

    [Fact]
    public void Fusion_is_a_process_setting_that_modules_compiled_without_their_own_follow()
    {
        Assert.Equal("auto", Read().Fusion);
        try
        {
            Read(("ACTSEARCH_FUSION", "off")).ApplyData();
            Assert.Equal(Fusion.Off, ExprCompileOptions.DefaultFusion);
            Read(("ACTSEARCH_FUSION", "on")).ApplyData();
            Assert.Equal(Fusion.On, ExprCompileOptions.DefaultFusion);
        }
        finally
        {
            ExprCompileOptions.DefaultFusion = Fusion.Auto;
        }
    }

    [Fact]
    public void The_full_Fashion_MNIST_is_asked_for_by_name_and_its_absence_stops_the_start_saying_what_to_install()
    {
        if (Directory.Exists(DataSets.DebianFashionMnist))
        {
            Assert.Equal("full", Read(("ACTSEARCH_FASHION_MNIST", "full")).FashionMnist); // installed here: accepted
        }
        else
        {
            var e = Assert.Throws<OptionsValidationException>(() => Read(("ACTSEARCH_FASHION_MNIST", "full")));
            var failure = Assert.Single(e.Failures);
            Assert.Contains("ACTSEARCH_FASHION_MNIST", failure, StringComparison.Ordinal);
            Assert.Contains("dataset-fashion-mnist", failure, StringComparison.Ordinal);
        }
        var missing = Assert.Throws<OptionsValidationException>(() => Read(("ACTSEARCH_FASHION_MNIST", "/no/such/folder")));
        Assert.Contains("/no/such/folder", Assert.Single(missing.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void A_Fashion_MNIST_folder_is_where_the_loader_reads_the_four_IDX_files()
    {
        string subset = Path.Combine(DataSets.DefaultDirectory(), DataSets.FashionMnistFolder);
        var folder = Directory.CreateTempSubdirectory("fmnist-");
        try
        {
            // Only the test split's files differ from the subset: the copy keeps 10 test images.
            foreach (var file in Directory.GetFiles(subset, "train-*")) File.Copy(file, Path.Combine(folder.FullName, Path.GetFileName(file)));
            var (_, test) = DataSets.FashionMnist();
            var cut = new IdxArray([10, 28, 28], [.. ReadIdx(subset, "t10k-images-idx3-ubyte", 3).Data.Take(10 * 28 * 28)]);
            IdxFile.Write(Path.Combine(folder.FullName, "t10k-images-idx3-ubyte"), cut);
            IdxFile.Write(Path.Combine(folder.FullName, "t10k-labels-idx1-ubyte"),
                new IdxArray([10], [.. ReadIdx(subset, "t10k-labels-idx1-ubyte", 1).Data.Take(10)]));

            var options = Read(("ACTSEARCH_FASHION_MNIST", folder.FullName));
            options.ApplyData();
            var (train, chosen) = DataSets.FashionMnist();
            Assert.Equal(10, chosen.Count);
            Assert.NotEqual(test.Count, chosen.Count);
            Assert.True(train.Count > 0);
        }
        finally
        {
            DataSets.UseFashionMnist(null);
            folder.Delete(recursive: true);
        }
    }

    private static IdxArray ReadIdx(string folder, string name, int rank) =>
        IdxFile.Read(Path.Combine(folder, name + ".gz"), rank);
}
