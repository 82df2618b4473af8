using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ActSearch.Testing;
using ActSearch.Grains;
using ActSearch.Hosting;
using ActSearch.Storage;
using ActSearch.Storage.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ActSearch.Api.Tests;

/// <summary>
/// The API as `actsearch serve` runs it, in this process: a real Kestrel on a free loopback port, a real Orleans silo
/// with both roles (the CPU curve-fit scorer, so `regression` spaces score in milliseconds), and a fresh PostgreSQL
/// database. <see cref="Client"/> talks to it over HTTP.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    public const string Token = "test-token-1";

    private readonly WebApplication _app;

    private ApiServer(WebApplication app, TestDatabase database, ActSearchStorage storage, Uri address)
    {
        _app = app;
        Database = database;
        Storage = storage;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public TestDatabase Database { get; }

    public ActSearchStorage Storage { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    /// <summary>
    /// A client of its own, for a request the server answers before reading its whole body (a 413): Kestrel then closes
    /// that connection, and a shared client could hand the closing connection to the next test's request ("The response
    /// ended prematurely", seen once in CI on a POST right after the 413 test).
    /// </summary>
    public HttpClient NewClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Starts a server on a new database; <paramref name="settings"/> are ActSearch settings (keys without the section).</summary>
    public static async Task<ApiServer> StartAsync(PostgresServer postgres, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = await postgres.CreateDatabaseAsync();
        var storage = await database.OpenAsync();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error);
        builder.Configuration.AddActSearchEnvironment();
        var values = new Dictionary<string, string?>
        {
            ["Clustering"] = "Localhost",
            ["PrimarySilo"] = "",
            ["SiloPort"] = Ports.Free().ToString(CultureInfo.InvariantCulture),
            ["GatewayPort"] = Ports.Free().ToString(CultureInfo.InvariantCulture),
            ["Slots"] = "2",
            ["Urls"] = "http://127.0.0.1:0",
            ["ApiTokens"] = Token,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) values[k] = v;
        builder.Configuration.AddInMemoryCollection(values.Select(kv => KeyValuePair.Create($"{ActSearchOptions.Section}:{kv.Key}", kv.Value)));
        builder.AddActSearchSilo(SiloRoles.All, silo =>
        {
            silo.Services.AddSingleton<IJobStore>(new PostgresJobStore(storage));
            silo.Services.Configure<SearchJobOptions>(o => o.TickInterval = TimeSpan.FromMilliseconds(100));
        });
        builder.AddActSearchApi(storage);
        var app = builder.Build();
        app.MapActSearchApi();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ApiServer(app, database, storage, new Uri(address));
    }

    /// <summary>A request with the bearer token (or <paramref name="token"/>; null: none).</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null, string? token = Token)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static StringContent Yaml(string text) => new(text, System.Text.Encoding.UTF8, "application/yaml");

    /// <summary>Submits a space; fails the test unless the answer is 201. Returns the Job.</summary>
    public async Task<JsonElement> SubmitAsync(string yaml, string query = "")
    {
        using var response = await Client.SendAsync(Request(HttpMethod.Post, "/api/jobs" + query, Yaml(yaml)));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Client.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path}: {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls the job until it is final (deadline: 60 s).</summary>
    public Task<JsonElement> UntilFinalAsync(string jobId) =>
        Poll.UntilAsync(() => GetJsonAsync($"/api/jobs/{jobId}"), job => JobView.IsFinalState(job.GetProperty("state").GetString()),
            TimeSpan.FromSeconds(60), $"job {jobId} to be final", job => job.GetProperty("state").ToString());

    /// <summary>A number straight from the database (how many jobs, ...).</summary>
    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var cmd = Storage.DataSource.CreateCommand(sql);
        foreach (var p in parameters) cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Storage.DisposeAsync();
        await Database.DisposeAsync();
    }

}

/// <summary>One PostgreSQL for the whole run, shared by every server.</summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "api";
}

/// <summary>A server for the job tests (tokens: <see cref="ApiServer.Token"/>).</summary>
public sealed class JobsServer : IAsyncLifetime
{
    public ApiServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        Postgres = postgres;
        Server = await ApiServer.StartAsync(postgres);
    }

    internal PostgresServer Postgres { get; private set; } = null!;

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

internal static class TestSpaces
{
    /// <summary>Regularized evolution on the regression task (the CPU scorer): 8 + 4 per generation, loss and complexity.</summary>
    public static string Regression(int budget = 24, string name = "api-test") => $"""
        name: {name}
        kind: activation
        seed: 7
        tasks: [regression]
        genome:
          representation: tree
          unary: [neg, exp, tanh, sigmoid]
          binary: [add, sub, mul, div]
          constants: [0.5, 1, 2]
          max_nodes: 9
          max_depth: 4
        evolution:
          strategy: regularized
          population: 8
          tournament: 3
          offspring_per_generation: 4
        objectives: [loss@regression, complexity]
        budget:
          evaluations: {budget}
        """;
}
