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
            ("ACTSEARCH_SLOTS", "0"), ("ACTSEARCH_DEVICE", "tpu"), ("ACTSEARCH_CLUSTERING", "adonet"), ("ACTSEARCH_PRIMARY_SILO", "nowhere")));

        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_SLOTS", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_DEVICE", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_DB", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ACTSEARCH_PRIMARY_SILO", StringComparison.Ordinal));
    }
}
