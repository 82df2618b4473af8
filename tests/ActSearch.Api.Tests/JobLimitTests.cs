using System.Net;
using System.Text.Json;
using ActSearch.Storage.Tests;

namespace ActSearch.Api.Tests;

/// <summary>One token cannot starve the service with jobs (issue 18): past ACTSEARCH_API_MAX_JOBS_PER_TOKEN a submission is 429.</summary>
public sealed class JobLimitTests : IAsyncLifetime
{
    private readonly PostgresServer _postgres = new();
    private ApiServer _server = null!;

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        _server = await ApiServer.StartAsync(_postgres, new Dictionary<string, string?> { ["ApiMaxJobsPerToken"] = "1" });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task A_token_at_its_limit_gets_429_with_retry_after_until_a_job_ends()
    {
        var first = await _server.SubmitAsync(TestSpaces.Regression(budget: 1_000_000), "?name=long");
        string id = first.GetProperty("id").GetString()!;
        Assert.StartsWith("token:", first.GetProperty("owner").GetString(), StringComparison.Ordinal); // not the token itself
        Assert.DoesNotContain(ApiServer.Token, first.GetProperty("owner").GetString(), StringComparison.Ordinal);
        long before = await _server.ScalarAsync("SELECT count(*) FROM jobs");

        using (var refused = await _server.Client.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs?name=second", ApiServer.Yaml(TestSpaces.Regression()))))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Contains("the limit is 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(before, await _server.ScalarAsync("SELECT count(*) FROM jobs"));

        using (var cancel = await _server.Client.SendAsync(ApiServer.Request(HttpMethod.Post, $"/api/jobs/{id}/cancel")))
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var second = await _server.SubmitAsync(TestSpaces.Regression(budget: 4), "?name=after");
        await _server.UntilFinalAsync(second.GetProperty("id").GetString()!);
    }
}
