using ActSearch.Hosting;
using Orleans.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace ActSearch.Grains.Tests;

/// <summary>
/// A real in-process Orleans cluster: Silo_0 is coordinator-only (job grains, the in-memory job store, the client's
/// gateway, <see cref="CountingFeatures"/> for a surrogate's kept features), Silo_1 and Silo_2 are workers with two slots
/// each running <see cref="ScriptedScorer"/>. Deadlines are short so that a swallowed candidate is dispatched again within seconds.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string CoordinatorName = "Silo_0";
    public const int SlotsPerWorker = 2;
    public static readonly TimeSpan CandidateDeadline = TimeSpan.FromSeconds(2);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public InMemoryJobStore Store => (InMemoryJobStore)Cluster.GetSiloServiceProvider(Coordinator).GetRequiredService<IJobStore>();

    public SiloAddress Coordinator => Cluster.Silos.Single(s => s.Name == CoordinatorName).SiloAddress;

    public IReadOnlyList<SiloAddress> Workers => [.. Cluster.Silos.Where(s => s.Name != CoordinatorName).Select(s => s.SiloAddress)];

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.Options.AssumeHomogenousSilosForTesting = false; // placement must see which silo has which grain class
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            var roles = options.SiloName == CoordinatorName ? SiloRoles.Coordinator : SiloRoles.Worker;
            silo.AddActSearchGrains(roles, w => w.Slots = SlotsPerWorker);
            silo.Services.AddSingleton<ICandidateScorer, ScriptedScorer>();
            silo.Services.AddSingleton<ActSearch.Evolution.ISurrogateFeatureSource, CountingFeatures>();
            silo.Services.Configure<SearchJobOptions>(o =>
            {
                o.CandidateDeadline = CandidateDeadline;
                o.TickInterval = TimeSpan.FromMilliseconds(100);
                o.RetryDelay = TimeSpan.FromMilliseconds(200);
            });
        });
        // A client refreshes its copy of the cluster's manifest (which silo hosts which grain class) once a minute by
        // default; one taken before every silo was in it would leave the job grain unknown to the tests for that long.
        builder.ConfigureClient(client => client.Configure<TypeManagementOptions>(o => o.TypeMapRefreshInterval = TimeSpan.FromMilliseconds(200)));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await Cluster.WaitForLivenessToStabilizeAsync();
        // The manifest reaches the client a moment after the silos start (on a loaded machine, more than a moment).
        await Waiting.Until(KnowsJobGrains, "the client knows the job grain class from the cluster manifest");
    }

    private bool KnowsJobGrains()
    {
        try
        {
            Client.GetGrain<ISearchJobGrain>(Guid.Empty);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
