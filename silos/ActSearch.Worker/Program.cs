using ActSearch.Hosting;

// A worker silo: evaluation only, ACTSEARCH_SLOTS candidates at a time on ACTSEARCH_DEVICE, health endpoints
// (/healthz, /readyz) on ACTSEARCH_URLS. It joins the cluster of a coordinator (ACTSEARCH_CLUSTERING=adonet with
// ACTSEARCH_DB, or ACTSEARCH_PRIMARY_SILO on localhost). Settings: src/ActSearch.Hosting/README.md.
var app = await WorkerHost.BuildAsync(args);
await app.RunAsync();
