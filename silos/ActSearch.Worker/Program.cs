using ActSearch.Grains;
using ActSearch.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// A worker silo: evaluation only, ACTSEARCH_SLOTS candidates at a time on ACTSEARCH_DEVICE. It joins the
// cluster of a coordinator (ACTSEARCH_CLUSTERING=adonet with ACTSEARCH_DB, or ACTSEARCH_PRIMARY_SILO on localhost).
var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration.AddActSearchEnvironment().Build().GetActSearchOptions();
builder.AddActSearchSilo(SiloRoles.Worker, silo => silo.AddTorchScorer(settings.Device));
await builder.Build().RunAsync();
