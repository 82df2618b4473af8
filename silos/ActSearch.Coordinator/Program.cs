using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.Extensions.Hosting;

// The coordinator silo: search-job grains, their state in PostgreSQL (ACTSEARCH_DB, or the embedded server under
// ACTSEARCH_HOME). It evaluates nothing; worker silos (silos/ActSearch.Worker) join its cluster.
// Settings: ACTSEARCH_* (src/ActSearch.Hosting/README.md). The HTTP API joins it in a later issue.
await using var storage = await ActSearchStorage.OpenAsync(StorageOptions.FromEnvironment());
var builder = Host.CreateApplicationBuilder(args);
builder.AddActSearchSilo(SiloRoles.Coordinator, silo => silo.AddPostgresJobStore(storage));
await builder.Build().RunAsync();
