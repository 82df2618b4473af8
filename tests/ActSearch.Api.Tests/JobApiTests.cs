using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActSearch.Storage;

namespace ActSearch.Api.Tests;

/// <summary>The /api/jobs routes against a real silo, Kestrel and PostgreSQL (docs/http-api.md, "Jobs").</summary>
public sealed partial class JobApiTests(JobsServer fixture) : IClassFixture<JobsServer>
{
    private ApiServer Server => fixture.Server;

    private HttpClient Client => Server.Client;

    [Fact]
    public async Task Submitting_yaml_answers_201_with_the_location_and_the_job()
    {
        using var response = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs?name=yaml-job&seed=11&budget=12", ApiServer.Yaml(TestSpaces.Regression())));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        string id = job.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("yaml-job", job.GetProperty("name").GetString());
        Assert.Equal("api-test", job.GetProperty("space").GetString());
        Assert.Equal("11", job.GetProperty("seed").GetString());
        Assert.Equal(12, job.GetProperty("budgetEvaluations").GetInt32());
        Assert.Equal(["loss@regression", "complexity"], job.GetProperty("objectives").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(["minimize", "minimize"], job.GetProperty("directions").EnumerateArray().Select(o => o.GetString()));

        var final = await Server.UntilFinalAsync(id);
        Assert.Equal("finished", final.GetProperty("state").GetString());
        Assert.Equal(12, final.GetProperty("scored").GetInt64());
        Assert.NotNull(final.GetProperty("finishedAt").GetString());
        Assert.Equal(1, await Server.ScalarAsync("SELECT count(*) FROM jobs WHERE id = $1", Guid.Parse(id)));
    }

    [Fact]
    public async Task Submitting_json_takes_the_envelope_or_the_space_itself()
    {
        var envelope = JsonSerializer.Serialize(new { space = TestSpaces.Regression(), fileName = "mine.yaml", name = "json-envelope", seed = 5, budget = 8 });
        using var a = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs", new StringContent(envelope, Encoding.UTF8, "application/json")));
        var jobA = JsonDocument.Parse(await a.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        Assert.Equal("json-envelope", jobA.GetProperty("name").GetString());
        Assert.Equal("5", jobA.GetProperty("seed").GetString());
        Assert.Equal(8, jobA.GetProperty("budgetEvaluations").GetInt32());

        // The space as a JSON object (JSON is YAML), overrides in the query.
        const string Space = """
            {"name": "json-space", "kind": "activation", "seed": 3, "tasks": ["regression"],
             "genome": {"representation": "tree", "unary": ["tanh", "sigmoid"], "binary": ["add", "mul"], "max_nodes": 9, "max_depth": 4},
             "evolution": {"strategy": "regularized", "population": 8, "tournament": 3, "offspring_per_generation": 4},
             "objectives": ["loss@regression", "complexity"], "budget": {"evaluations": 10}}
            """;
        using var b = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs?name=json-object&budget=9", new StringContent(Space, Encoding.UTF8, "application/json")));
        string body = await b.Content.ReadAsStringAsync();
        Assert.True(b.StatusCode == HttpStatusCode.Created, body);
        var jobB = JsonDocument.Parse(body).RootElement;
        Assert.Equal("json-space", jobB.GetProperty("space").GetString());
        Assert.Equal("3", jobB.GetProperty("seed").GetString());
        Assert.Equal(9, jobB.GetProperty("budgetEvaluations").GetInt32());
    }

    [Fact]
    public async Task An_invalid_space_is_400_with_file_line_column_errors_and_nothing_is_stored()
    {
        long before = await Server.ScalarAsync("SELECT count(*) FROM jobs");
        string yaml = TestSpaces.Regression().Replace("tasks:", "tsks:", StringComparison.Ordinal);
        using var response = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs?fileName=broken.yaml", ApiServer.Yaml(yaml)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Matches(FileLineColumn(), e));
        Assert.Contains(errors, e => e.StartsWith("broken.yaml:4:1:", StringComparison.Ordinal) && e.Contains("tsks", StringComparison.Ordinal));
        Assert.Equal(before, await Server.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Bad_overrides_are_400_naming_the_field()
    {
        using var response = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs?budget=-3", ApiServer.Yaml(TestSpaces.Regression())));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.StartsWith("budget:", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("test-token-")] // a prefix of the real one
    public async Task A_missing_or_wrong_token_is_401_and_nothing_is_stored(string? token)
    {
        string name = "unauthorized-" + Guid.NewGuid().ToString("N");
        long before = await Server.ScalarAsync("SELECT count(*) FROM jobs");
        using var response = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, $"/api/jobs?name={name}", ApiServer.Yaml(TestSpaces.Regression()), token));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(401, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
        Assert.Equal(before, await Server.ScalarAsync("SELECT count(*) FROM jobs"));
        Assert.Equal(0, await Server.ScalarAsync("SELECT count(*) FROM jobs WHERE name = $1", name));
    }

    [Fact]
    public async Task Cancel_ends_a_running_job_and_returns_a_final_job_as_it_is()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 100_000), "?name=to-cancel");
        string id = job.GetProperty("id").GetString()!;

        using (var unauthorized = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, $"/api/jobs/{id}/cancel", token: null)))
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("running", (await Server.GetJsonAsync($"/api/jobs/{id}")).GetProperty("state").GetString());

        using var first = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, $"/api/jobs/{id}/cancel"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var cancelled = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
        Assert.Equal(0, cancelled.GetProperty("inFlight").GetInt32());

        using var again = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, $"/api/jobs/{id}/cancel"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("cancelled", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("state").GetString());
        Assert.Equal("cancelled", (await Server.GetJsonAsync($"/api/jobs/{id}")).GetProperty("state").GetString());

        using var unknown = await Client.SendAsync(ApiServer.Request(HttpMethod.Post, $"/api/jobs/{Guid.NewGuid()}/cancel"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_front_is_non_dominated_and_grows_with_the_generations()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 24), "?name=front");
        string id = job.GetProperty("id").GetString()!;
        var final = await Server.UntilFinalAsync(id);

        var front = await Server.GetJsonAsync($"/api/jobs/{id}/front");
        var generations = front.GetProperty("generations").EnumerateArray().Select(g => g.GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, generations.Count), generations);
        Assert.Equal(generations[^1], front.GetProperty("generation").GetInt32());
        Assert.Equal(["loss@regression", "complexity"], front.GetProperty("objectives").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(["minimize", "minimize"], front.GetProperty("directions").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(["minimize", "minimize"], final.GetProperty("directions").EnumerateArray().Select(o => o.GetString()));
        var members = Members(front);
        Assert.NotEmpty(members);
        foreach (var a in members)
            foreach (var b in members)
                Assert.False(Dominates(b.Values, a.Values), $"{b.Formula} dominates {a.Formula} on the front");
        Assert.All(members, m => Assert.Matches("^[0-9a-f]{16}$", m.ActivationId));

        // The job's best per objective is on the front; an earlier generation's front only has earlier candidates.
        var best = final.GetProperty("best");
        Assert.Contains(members, m => m.CandidateId == best.GetProperty("loss@regression").GetProperty("candidateId").GetInt64());
        var first = Members(await Server.GetJsonAsync($"/api/jobs/{id}/front?generation=0"));
        Assert.All(first, m => Assert.Equal(0, m.Generation));

        var missing = await Server.GetJsonAsync($"/api/jobs/{id}/front?generation=999", HttpStatusCode.NotFound);
        Assert.Contains("no generation 999", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_funnel_counts_every_outcome_in_chain_order()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 24), "?name=funnel");
        string id = job.GetProperty("id").GetString()!;
        var final = await Server.UntilFinalAsync(id);
        var funnel = await Server.GetJsonAsync($"/api/jobs/{id}/funnel");
        var stages = funnel.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(["static", "numeric", "duplicate", "stability", "quality"], stages.Take(5).Select(s => s.GetProperty("stage").GetString()));
        Assert.Equal("trained", stages[^1].GetProperty("stage").GetString());
        long removed = stages.Sum(s => s.GetProperty("removed").GetInt64());
        long L(JsonElement e, string name) => e.GetProperty(name).GetInt64();
        // Outcomes copied from a twin (cache hits) are the duplicate stage's, not trained, failed or rejected by a later stage.
        Assert.Equal(L(final, "cacheHits"), L(funnel, "cacheHits"));
        Assert.True(L(stages[2], "removed") >= L(funnel, "cacheHits"));
        Assert.Equal(L(final, "evaluated") + L(final, "rejected") + L(final, "failed"), removed + L(funnel, "evaluated") + L(funnel, "failed"));
        // Every candidate has one stored outcome (cache hits too), so the kinds add up to all proposed.
        Assert.Equal(
            removed + funnel.GetProperty("evaluated").GetInt64() + funnel.GetProperty("failed").GetInt64() + funnel.GetProperty("cancelled").GetInt64(),
            funnel.GetProperty("proposed").GetInt64());
        Assert.True(stages[^1].GetProperty("seconds").GetDouble() > 0, "training time is recorded");
        Assert.All(stages, s => Assert.True(s.GetProperty("seconds").GetDouble() >= 0));
    }

    [Fact]
    public async Task The_event_stream_delivers_job_events_then_end()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 40), "?name=events");
        string id = job.GetProperty("id").GetString()!;
        var events = await ReadEventsAsync($"/api/jobs/{id}/events");
        Assert.Equal("end", events[^1].Name);
        Assert.Equal("job", events[0].Name);
        Assert.True(events.Count(e => e.Name == "job") >= 1);
        var last = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.Equal("finished", last.GetProperty("state").GetString());
        Assert.Equal(40, last.GetProperty("scored").GetInt64());
        var scored = events.Where(e => e.Name == "job").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("scored").GetInt64()).ToList();
        Assert.Equal(scored.Order(), scored); // progress only goes forward

        // A client that connects after the end gets the final job and the end at once.
        var again = await ReadEventsAsync($"/api/jobs/{id}/events");
        Assert.Equal(["job", "end"], again.Select(e => e.Name));

        using var unknown = await Client.GetAsync($"/api/jobs/{Guid.NewGuid()}/events");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_listing_is_newest_first_and_filters_by_state()
    {
        var a = await Server.SubmitAsync(TestSpaces.Regression(budget: 4), "?name=list-a");
        var b = await Server.SubmitAsync(TestSpaces.Regression(budget: 4), "?name=list-b");
        await Server.UntilFinalAsync(a.GetProperty("id").GetString()!);
        await Server.UntilFinalAsync(b.GetProperty("id").GetString()!);
        var page = await Server.GetJsonAsync("/api/jobs?pageSize=2");
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, page.GetProperty("pageSize").GetInt32());
        Assert.True(page.GetProperty("total").GetInt64() >= 2);
        Assert.True(items[0].GetProperty("createdAt").GetDateTimeOffset() >= items[1].GetProperty("createdAt").GetDateTimeOffset());
        var finished = await Server.GetJsonAsync("/api/jobs?state=finished&pageSize=200");
        Assert.All(finished.GetProperty("items").EnumerateArray(), j => Assert.Equal("finished", j.GetProperty("state").GetString()));
        Assert.Contains(finished.GetProperty("items").EnumerateArray(), j => j.GetProperty("name").GetString() == "list-b");
        await Server.GetJsonAsync("/api/jobs?state=sleeping", HttpStatusCode.BadRequest);
        await Server.GetJsonAsync("/api/jobs?pageSize=201", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_jobs_held_out_evaluation_is_served_as_saved_and_its_absence_is_no_content()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 4), "?name=heldout");
        string id = job.GetProperty("id").GetString()!;
        await Server.UntilFinalAsync(id);
        using (var none = await Client.GetAsync($"/api/jobs/{id}/heldout"))
        {
            Assert.Equal(HttpStatusCode.NoContent, none.StatusCode); // none saved yet: not an error
            Assert.Empty(await none.Content.ReadAsStringAsync());
        }

        var view = new HeldOutView(Guid.Parse(id), DateTimeOffset.UnixEpoch, "evidence", 5, null, "cpu", 0.05,
            [new TransferView("#3", 2, 1, 0, true, "#3 transfers")],
            [new HeldOutTaskView("charlm-transformer", "loss", "polyrelu", "#3 is significantly better",
                [new HeldOutRowView("#3", "x + erf(x)", false, 5, 1.95, 0.01, 0.0124, 0.001, 0.025, 3.9, 7.8, 0.005, "significantly better"),
                 new HeldOutRowView("polyrelu", "a1 * relu(x)", true, 5, 1.975, 0.013, 0.0161, 0.003, null, null, null, null, null)])]);
        await Server.Storage.HeldOut.SaveAsync(Guid.Parse(id), "evidence", System.Text.Json.JsonSerializer.Serialize(view, HeldOutView.Json));

        var served = await Server.GetJsonAsync($"/api/jobs/{id}/heldout");
        Assert.Equal(("evidence", 5, id), (served.GetProperty("protocol").GetString(), served.GetProperty("seeds").GetInt32(), served.GetProperty("jobId").GetString()));
        Assert.NotEqual(DateTimeOffset.UnixEpoch, served.GetProperty("evaluatedAt").GetDateTimeOffset()); // when it was saved
        Assert.True(served.GetProperty("transfer")[0].GetProperty("transfers").GetBoolean());
        var rows = served.GetProperty("tasks")[0].GetProperty("rows");
        Assert.Equal(0.001, rows[0].GetProperty("learningRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("p").ValueKind);
    }

    [Fact]
    public async Task A_jobs_surrogate_predictions_are_served_beside_what_was_measured_and_their_absence_is_no_content()
    {
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 6), "?name=surrogate");
        string id = job.GetProperty("id").GetString()!;
        await Server.UntilFinalAsync(id);
        using (var none = await Client.GetAsync($"/api/jobs/{id}/surrogate"))
            Assert.Equal(HttpStatusCode.NoContent, none.StatusCode); // no surrogate in this space

        // Three trained children (the job's first candidates, measured by the curve fit) and one screened out.
        var measured = (await Server.Storage.Candidates.ScoresAsync(Guid.Parse(id))).Where(sc => sc.Objective == "loss").OrderBy(sc => sc.CandidateId).Take(3).ToList();
        Assert.Equal(3, measured.Count);
        await Server.Storage.Predictions.RecordAsync(Guid.Parse(id),
        [
            .. measured.Select((sc, i) => new PredictionRecord(sc.CandidateId, "loss", null, i, 0.1, Trained: true)),
            new PredictionRecord(1000, "loss", null, 9, 0.3, Trained: false),
        ]);

        var served = await Server.GetJsonAsync($"/api/jobs/{id}/surrogate");
        Assert.Equal(("loss", 4, 3, 3), (served.GetProperty("objective").GetString(), served.GetProperty("ranked").GetInt32(),
            served.GetProperty("trained").GetInt32(), served.GetProperty("measured").GetInt32()));
        var points = served.GetProperty("points");
        Assert.Equal(JsonValueKind.Null, points[3].GetProperty("measured").ValueKind);
        Assert.Equal(measured[0].Value, points[0].GetProperty("measured").GetDouble());
        double[] values = [.. measured.Select(sc => sc.Value)];
        double expected = ActSearch.Evolution.SurrogateValidation.Spearman([0.0, 1, 2], values);
        if (double.IsFinite(expected)) Assert.Equal(expected, served.GetProperty("spearman").GetDouble(), 12);
        else Assert.Equal(JsonValueKind.Null, served.GetProperty("spearman").ValueKind);
    }

    [Fact]
    public async Task Unknown_jobs_and_routes_are_404_problems()
    {
        foreach (var path in new[] { $"/api/jobs/{Guid.NewGuid()}", $"/api/jobs/{Guid.NewGuid()}/front", $"/api/jobs/{Guid.NewGuid()}/funnel", $"/api/jobs/{Guid.NewGuid()}/heldout", $"/api/jobs/{Guid.NewGuid()}/surrogate", "/api/jobs/not-a-guid", "/api/nothing-here" })
        {
            using var response = await Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(404, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
        }
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_is_413_and_nothing_is_stored()
    {
        long before = await Server.ScalarAsync("SELECT count(*) FROM jobs");
        string big = TestSpaces.Regression() + "\n# " + new string('x', 1 << 20) + "\n";
        using var own = Server.NewClient(); // the server closes this connection: keep it out of the shared pool
        using var response = await own.SendAsync(ApiServer.Request(HttpMethod.Post, "/api/jobs", ApiServer.Yaml(big)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await Server.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task Markup_in_a_job_name_round_trips_as_plain_json_text()
    {
        const string Markup = "<script>alert(1)</script>";
        var job = await Server.SubmitAsync(TestSpaces.Regression(budget: 4), "?name=" + Uri.EscapeDataString(Markup));
        Assert.Equal(Markup, job.GetProperty("name").GetString());
        using var response = await Client.GetAsync($"/api/jobs/{job.GetProperty("id").GetString()}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(Markup, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_tasks_and_objectives_are_served_from_their_one_declaration()
    {
        var tasks = (await Server.GetJsonAsync("/api/catalog/tasks")).EnumerateArray().ToList();
        Assert.Equal(ActSearch.Evaluation.Tasks.TaskCatalog.Names, tasks.Select(t => t.GetProperty("name").GetString()!));
        var resnet = tasks.Single(t => t.GetProperty("name").GetString() == "fmnist-resnet");
        Assert.Equal(("layer", "accuracy", 200), (resnet.GetProperty("slot").GetString(), resnet.GetProperty("metric").GetString(), resnet.GetProperty("steps").GetInt32()));
        Assert.StartsWith("the full Fashion-MNIST", resnet.GetProperty("fullData").GetString());
        var glu = tasks.Single(t => t.GetProperty("name").GetString() == "charlm-glu");
        Assert.Equal(("activation", "loss", "cross_entropy", true), (glu.GetProperty("slot").GetString(), glu.GetProperty("metric").GetString(),
            glu.GetProperty("loss").GetString(), glu.GetProperty("gated").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, glu.GetProperty("fullData").ValueKind);

        var objectives = (await Server.GetJsonAsync("/api/catalog/objectives")).EnumerateArray()
            .ToDictionary(o => o.GetProperty("name").GetString()!, o => (o.GetProperty("direction").GetString(), o.GetProperty("perTask").GetBoolean(), o.GetProperty("measuredBy").GetString()));
        Assert.Equal(ActSearch.Evaluation.Objectives.ObjectiveRegistry.Names.Order(), objectives.Keys.Order());
        Assert.Equal(("maximize", true, "training"), objectives["accuracy"]);
        Assert.Equal(("minimize", false, "graph"), objectives["complexity"]);
        Assert.Equal(("minimize", false, "timing"), objectives["latency"]);
    }

    [Fact]
    public async Task Health_and_the_web_ui_answer()
    {
        Assert.Equal("ok", (await Server.GetJsonAsync("/healthz")).GetProperty("status").GetString());
        Assert.Equal("ok", (await Server.GetJsonAsync("/readyz")).GetProperty("status").GetString());
        using var ui = await Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_openapi_document_lists_every_route()
    {
        var doc = await Server.GetJsonAsync("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        (string Path, string Method)[] routes =
        [
            ("/api/jobs", "post"), ("/api/jobs", "get"), ("/api/jobs/{id}", "get"), ("/api/jobs/{id}/cancel", "post"),
            ("/api/jobs/{id}/front", "get"), ("/api/jobs/{id}/funnel", "get"), ("/api/jobs/{id}/heldout", "get"), ("/api/jobs/{id}/events", "get"),
            ("/api/activations", "get"), ("/api/activations/{id}", "get"), ("/api/activations/{id}/export", "get"),
            ("/api/activations/{id}/plot.svg", "get"), ("/api/catalog/tasks", "get"), ("/api/catalog/objectives", "get"),
        ];
        foreach (var (path, method) in routes)
            Assert.True(paths.TryGetProperty(path, out var p) && p.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is not in the OpenAPI document");
    }

    // ---- helpers ----

    private sealed record Member(long CandidateId, int Generation, string ActivationId, string Formula, double[] Values);

    private static List<Member> Members(JsonElement front) =>
    [
        .. front.GetProperty("members").EnumerateArray().Select(m => new Member(
            m.GetProperty("candidateId").GetInt64(), m.GetProperty("generation").GetInt32(), m.GetProperty("activationId").GetString()!,
            m.GetProperty("formula").GetString()!, [.. m.GetProperty("objectives").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble())])),
    ];

    /// <summary>Both objectives here are minimized (loss, complexity).</summary>
    private static bool Dominates(double[] a, double[] b) => a.Zip(b).All(p => p.First <= p.Second) && a.Zip(b).Any(p => p.First < p.Second);

    private sealed record ServerEvent(string Name, string Data);

    private async Task<List<ServerEvent>> ReadEventsAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await Client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var events = new List<ServerEvent>();
        string? name = null, data = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            else if (line.Length == 0 && name is not null)
            {
                events.Add(new ServerEvent(name, data ?? ""));
                if (name == "end") break;
                name = data = null;
            }
        }
        return events;
    }

    [GeneratedRegex(@"^broken\.yaml:\d+:\d+: ")]
    private static partial Regex FileLineColumn();
}
