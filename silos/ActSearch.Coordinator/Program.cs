using ActSearch.Api;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.AspNetCore.Builder;

// The coordinator silo: search-job grains with their state in PostgreSQL (ACTSEARCH_DB, or the embedded server under
// ACTSEARCH_HOME), and the HTTP API with the web UI on ACTSEARCH_URLS (default http://127.0.0.1:5080). It evaluates
// nothing; worker silos (silos/ActSearch.Worker) join its cluster. Settings: src/ActSearch.Hosting/README.md.
await using var storage = await ActSearchStorage.OpenAsync(ActSearchOptions.FromEnvironment().Storage());
var builder = WebApplication.CreateBuilder(args);
builder.AddActSearchSilo(SiloRoles.Coordinator, silo => silo.AddPostgresJobStore(storage));
builder.AddActSearchApi(storage);
var app = builder.Build();
app.MapActSearchApi();
await app.RunAsync();
