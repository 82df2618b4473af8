using System.Net;
using System.Text;
using System.Text.Json;

namespace ActSearch.Api.Tests;

/// <summary>
/// Malformed input is a 4xx problem in our own words, and nothing is stored (issue 18's status-code findings); every
/// response carries the browser-facing security headers.
/// </summary>
public sealed class HostileInputTests(JobsServer fixture) : IClassFixture<JobsServer>
{
    private ApiServer Server => fixture.Server;

    private HttpClient Client => Server.Client;

    private async Task<string> BadRequestAsync(HttpRequestMessage request)
    {
        using (request)
        using (var response = await Client.SendAsync(request))
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            string detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
            Assert.DoesNotContain("Parameter '", detail, StringComparison.Ordinal); // no .NET argument text
            Assert.DoesNotContain("Failed to bind", detail, StringComparison.Ordinal);
            return detail;
        }
    }

    private static HttpRequestMessage Post(string path, HttpContent content) => ApiServer.Request(HttpMethod.Post, path, content);

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_population_of_100000_under_a_budget_of_4_makes_4_candidates_and_the_job_list_keeps_answering()
    {
        string yaml = TestSpaces.Regression(budget: 4).Replace("population: 8", "population: 100000", StringComparison.Ordinal);
        var job = await Server.SubmitAsync(yaml, "?name=huge-population");
        string id = job.GetProperty("id").GetString()!;
        var list = Server.GetJsonAsync("/api/jobs?pageSize=100"); // while the job runs: a hang would time the test out
        Assert.True((await list).GetProperty("total").GetInt64() >= 1);
        var done = await Server.UntilFinalAsync(id);
        Assert.Equal("finished", done.GetProperty("state").GetString());
        Assert.Equal(4, done.GetProperty("scored").GetInt64());
        Assert.Equal(0, done.GetProperty("cancelled").GetInt64()); // nothing bred beyond the budget, so nothing to cancel
        Assert.True(await Server.ScalarAsync("SELECT count(*) FROM outcomes WHERE job_id = $1", Guid.Parse(id)) <= 4);
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_json_body_is_400_not_500()
    {
        string detail = await BadRequestAsync(Post("/api/jobs", Json("{\"space\": \"\\ud800\"}")));
        Assert.Contains("surrogate", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nul_byte_in_a_name_or_a_catalog_query_is_400_not_a_retryable_503()
    {
        long before = await Server.ScalarAsync("SELECT count(*) FROM jobs");
        Assert.StartsWith("name:", await BadRequestAsync(Post("/api/jobs?name=a%00b", ApiServer.Yaml(TestSpaces.Regression()))), StringComparison.Ordinal);
        Assert.Equal(before, await Server.ScalarAsync("SELECT count(*) FROM jobs"));
        Assert.StartsWith("q:", await BadRequestAsync(ApiServer.Request(HttpMethod.Get, "/api/activations?q=x%00")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_budget_beyond_what_a_space_may_ask_for_is_400()
    {
        string detail = await BadRequestAsync(Post("/api/jobs?budget=2147483647", ApiServer.Yaml(TestSpaces.Regression())));
        Assert.Contains("100,000,000", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_field_of_the_json_envelope_is_400_naming_it()
    {
        string body = JsonSerializer.Serialize(new { space = TestSpaces.Regression(), budjet = 4 });
        string detail = await BadRequestAsync(Post("/api/jobs", Json(body)));
        Assert.StartsWith("'budjet' is not a field", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("running,paused")]
    [InlineData("3")]
    [InlineData("done")]
    public async Task A_state_filter_is_one_state_by_its_name(string state)
    {
        string detail = await BadRequestAsync(ApiServer.Request(HttpMethod.Get, $"/api/jobs?state={Uri.EscapeDataString(state)}"));
        Assert.StartsWith("state:", detail, StringComparison.Ordinal);
        await Server.GetJsonAsync("/api/jobs?state=Running"); // names match without regard to case
    }

    [Theory]
    [InlineData("/api/jobs?page=abc", "page:")]
    [InlineData("/api/jobs?pageSize=0", "pageSize:")]
    [InlineData("/api/activations?pageSize=1000", "pageSize:")]
    public async Task Numbers_in_the_query_are_read_with_our_own_messages(string path, string field) =>
        Assert.StartsWith(field, await BadRequestAsync(ApiServer.Request(HttpMethod.Get, path)), StringComparison.Ordinal);

    [Fact]
    public async Task A_front_generation_that_is_not_a_number_is_400()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 4), "?name=generation");
        string detail = await BadRequestAsync(ApiServer.Request(HttpMethod.Get, $"/api/jobs/{job.GetProperty("id").GetString()}/front?generation=latest"));
        Assert.StartsWith("generation:", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/api/jobs")]
    [InlineData("/api/nothing-here")]
    public async Task Every_response_forbids_framing_and_inline_script(string path)
    {
        using var response = await Client.GetAsync(path);
        string csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }
}
