using System.Net;

namespace ActSearch.Api.Tests;

/// <summary>A server with ACTSEARCH_API_READ_REQUIRES_TOKEN=true and its tokens in ACTSEARCH_API_TOKENS_FILE only.</summary>
public sealed class ProtectedServer : IAsyncLifetime
{
    public string TokensFile { get; } = Path.Combine(Path.GetTempPath(), $"actsearch-tokens-{Guid.NewGuid():N}");

    public ApiServer Server { get; private set; } = null!;

    private ActSearch.Storage.Tests.PostgresServer _postgres = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(TokensFile, "# API tokens\nfile-token-1\n");
        _postgres = new ActSearch.Storage.Tests.PostgresServer();
        await _postgres.InitializeAsync();
        Server = await ApiServer.StartAsync(_postgres, new Dictionary<string, string?>
        {
            ["ApiTokens"] = "",
            ["ApiTokensFile"] = TokensFile,
            ["ApiReadRequiresToken"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await _postgres.DisposeAsync();
        File.Delete(TokensFile);
    }
}

public sealed class ProtectedReadsTests(ProtectedServer fixture) : IClassFixture<ProtectedServer>
{
    private HttpClient Client => fixture.Server.Client;

    private async Task<HttpStatusCode> StatusAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var response = await Client.SendAsync(ApiServer.Request(method, path, content, token));
        return response.StatusCode;
    }

    [Fact]
    public async Task Reads_need_a_token_but_health_and_the_ui_do_not()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/api/jobs", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/api/activations", "wrong"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/api/jobs", "file-token-1"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/api/activations", "file-token-1"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/healthz", null));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/", null));
    }

    [Fact]
    public async Task A_catalog_page_read_with_a_token_is_not_served_from_the_cache_to_a_request_without_one()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/api/activations?q=cache", "file-token-1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/api/activations?q=cache", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/api/activations?q=cache", "wrong"));
    }

    [Fact]
    public async Task Tokens_come_from_the_file_and_a_rewritten_file_takes_effect()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Post, "/api/jobs", ApiServer.Token, ApiServer.Yaml(TestSpaces.Regression(4))));
        Assert.Equal(HttpStatusCode.Created, await StatusAsync(HttpMethod.Post, "/api/jobs", "file-token-1", ApiServer.Yaml(TestSpaces.Regression(4))));

        try
        {
            await File.WriteAllTextAsync(fixture.TokensFile, "file-token-2\nfile-token-3-longer\n");
            File.SetLastWriteTimeUtc(fixture.TokensFile, DateTime.UtcNow.AddSeconds(5)); // a new stamp even within the clock's resolution
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/api/jobs", "file-token-1"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/api/jobs", "file-token-3-longer"));
        }
        finally
        {
            await File.WriteAllTextAsync(fixture.TokensFile, "file-token-1\n");
            File.SetLastWriteTimeUtc(fixture.TokensFile, DateTime.UtcNow.AddSeconds(10));
        }
    }
}
