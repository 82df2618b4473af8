using ActSearch.Grains;
using ActSearch.Hosting;
using Microsoft.Extensions.Hosting;

// The coordinator silo: search-job grains (the HTTP API joins it in a later issue). It evaluates nothing;
// worker silos (silos/ActSearch.Worker) join its cluster. Settings: ACTSEARCH_* (src/ActSearch.Hosting/README.md).
var builder = Host.CreateApplicationBuilder(args);
builder.AddActSearchSilo(SiloRoles.Coordinator);
await builder.Build().RunAsync();
