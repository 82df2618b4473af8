using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ActSearch.Api;
using ActSearch.Evaluation.Torch;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActSearch.Cli;

/// <summary>
/// `actsearch serve`: one process with a silo in both roles (job grains and TorchSharp evaluation on this machine's
/// slots), PostgreSQL (ACTSEARCH_DB, or the private embedded server, as `run`), and the HTTP API with the web UI on
/// ACTSEARCH_URLS. Prints where it listens; Ctrl+C stops it cleanly (running jobs resume at the next start).
/// </summary>
public sealed class ServeCommand : ICommand
{
    public string Name => "serve";

    public string Usage => """
        serve [--urls URL] [--slots K]   the HTTP API and web UI with a local silo (coordinator + worker)
          --urls     where to listen (default ACTSEARCH_URLS, else http://127.0.0.1:5080; port 0 picks a free one)
          --slots    training slots (default ACTSEARCH_SLOTS, else the number of cores)
        Writes need 'Authorization: Bearer <token>' with a token from ACTSEARCH_API_TOKENS (comma-separated) or
        ACTSEARCH_API_TOKENS_FILE; without one the server is read-only. Data: ACTSEARCH_DB, or a private PostgreSQL
        under ACTSEARCH_HOME. Prints "listening on <url>" once ready; Ctrl+C stops it.
        """;

    public async Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        string? urls = args.Option("--urls");
        int? slots = args.Int("--slots", 1, 1024);
        args.Positionals(0, 0, "");

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        var settings = OneProcessSilo.Configure(builder, slots, new Dictionary<string, string?> { ["ActSearch:Urls"] = urls });

        var storageOptions = CliSettings.Read().Storage();
        ActSearchStorage storage;
        try
        {
            storage = await ActSearchStorage.OpenAsync(storageOptions, cancellation);
        }
        catch (StorageException e)
        {
            stderr.WriteLine($"actsearch serve: {e.Message}");
            return CliApp.Failure;
        }
        await using var _ = storage;

        OneProcessSilo.AddSilo(builder, settings, storage, wakeUnfinishedJobs: true);
        builder.AddActSearchApi(storage);
        await using var app = builder.Build();
        app.MapActSearchApi();
        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException e) // Kestrel: the address is in use, or cannot be bound
        {
            stderr.WriteLine($"actsearch serve: cannot listen: {e.Message}");
            return CliApp.Failure;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        stdout.WriteLine($"storage: {storage.Description}");
        foreach (var address in addresses) stdout.WriteLine($"listening on {address}");
        stdout.WriteLine(settings.ApiTokens is { Length: > 0 } || settings.ApiTokensFile is { Length: > 0 }
            ? "writes need a bearer token; Ctrl+C stops."
            : "read-only: no API token configured (ACTSEARCH_API_TOKENS); Ctrl+C stops.");
        stdout.Flush();
        // Ctrl+C reaches the command's token; SIGTERM (a service manager, a test harness) stops the host's lifetime.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, app.Lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            stdout.WriteLine("stopping ...");
        }
        await app.StopAsync(CancellationToken.None);
        return CliApp.Ok;
    }
}
