using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ActSearch.Web.Tests;

/// <summary>The jobs list and a job's page: live progress, the rejection funnel and the Pareto front.</summary>
[Collection(WebUiCollection.Name)]
public sealed class JobPageTests(WebUiFixture fixture)
{
    private static readonly string[] ChainStages = ["static", "numeric", "duplicate", "stability", "quality", "trained"];

    [Fact]
    public async Task Job_page_follows_a_running_job_over_its_event_stream_until_it_finishes()
    {
        // A wall-time budget: the job runs about six seconds however fast the machine is, so the page sees it running.
        var submitted = await fixture.Server.SubmitJobAsync(fixture.TinySpace, "web-ui live watch", budget: 100_000, wallTimeSeconds: 6);
        string id = submitted.GetProperty("id").GetString()!;
        await using var ui = await fixture.OpenAsync($"#/jobs/{id}");
        var page = ui.Page;

        await Expect(page.Locator("#job-name")).ToHaveTextAsync("web-ui live watch");
        string firstState = await page.Locator("#job-state").InnerTextAsync();
        Assert.True(firstState is "queued" or "running",
            $"the page opened on a job already '{firstState}', so it could not show live progress (the job ran too fast?)");
        await Expect(page.Locator("#job-live")).ToHaveTextAsync("● live");  // the event stream is open

        // No reload: the page must learn the end from the server-sent events.
        await Expect(page.Locator("#job-state")).ToHaveTextAsync("finished", new() { Timeout = (float)WebUiFixture.JobTimeout.TotalMilliseconds });
        var job = await fixture.Server.GetJsonAsync($"/api/jobs/{id}");
        await Expect(page.Locator("#job-summary [data-count=scored]")).ToHaveTextAsync(job.GetProperty("scored").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#job-summary [role=progressbar]")).ToHaveAttributeAsync("aria-valuenow", "100");
        await Expect(page.Locator("#job-live")).ToHaveTextAsync("");

        // The funnel: one row per stage of the chain, in chain order, with what each removed.
        await Expect(page.Locator("#job-funnel tr[data-stage]")).ToHaveCountAsync(ChainStages.Length);
        Assert.Equal(ChainStages, await page.Locator("#job-funnel tr[data-stage]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.stage)"));
        var funnel = await fixture.Server.GetJsonAsync($"/api/jobs/{id}/funnel");
        foreach (var stage in funnel.GetProperty("stages").EnumerateArray())
        {
            await Expect(page.Locator($"#job-funnel tr[data-stage={stage.GetProperty("stage").GetString()}] td.removed"))
                .ToHaveTextAsync(stage.GetProperty("removed").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // The front: a point per member, each a link to its activation.
        var front = await fixture.Server.GetJsonAsync($"/api/jobs/{id}/front");
        int members = front.GetProperty("members").GetArrayLength();
        Assert.True(members > 0, $"a finished job has a front: {front}");
        await Expect(page.Locator("#front-members tbody tr")).ToHaveCountAsync(members);
        Assert.True(await page.Locator("#front-plot svg a.point-link circle").CountAsync() > 0, "the scatter plot draws the front members");

        await ui.ScreenshotAsync("job-page");
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task A_job_with_fidelity_rungs_shows_each_rung_under_its_funnel()
    {
        string space = fixture.TinySpace.Replace("evaluations: 6", "evaluations: 9", StringComparison.Ordinal)
            + "\nfidelity:\n  rungs: [{steps: 50}, {steps: 150}]\n";
        var submitted = await fixture.Server.SubmitJobAsync(space, "web-ui rungs");
        string id = submitted.GetProperty("id").GetString()!;
        var done = await fixture.Server.WaitFinalAsync(id, WebUiFixture.JobTimeout);
        Assert.Equal("finished", done.GetProperty("state").GetString());
        var rungs = (await fixture.Server.GetJsonAsync($"/api/jobs/{id}/funnel")).GetProperty("rungs");
        Assert.Equal(2, rungs.GetArrayLength());
        Assert.True(rungs[1].GetProperty("scored").GetInt64() > 0, $"a candidate was promoted: {rungs}");

        await using var ui = await fixture.OpenAsync($"#/jobs/{id}");
        var page = ui.Page;
        await Expect(page.Locator("#funnel-rungs tbody tr")).ToHaveCountAsync(2);
        var top = page.Locator("#funnel-rungs tr[data-rung='1'] td");
        await Expect(top.Nth(0)).ToHaveTextAsync("150 steps");
        await Expect(top.Nth(1)).ToHaveTextAsync(rungs[1].GetProperty("scored").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#funnel-rungs tr[data-rung='0'] td").Nth(3))
            .ToHaveTextAsync(rungs[0].GetProperty("promoted").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task A_job_with_a_surrogate_sets_predicted_against_measured_on_its_page()
    {
        string space = fixture.TinySpace.Replace("evaluations: 6", "evaluations: 14", StringComparison.Ordinal)
            + "\nsurrogate:\n  candidates: 4\n  min_observations: 3\n  warm_start: false\n";
        var submitted = await fixture.Server.SubmitJobAsync(space, "web-ui surrogate");
        string id = submitted.GetProperty("id").GetString()!;
        var done = await fixture.Server.WaitFinalAsync(id, WebUiFixture.JobTimeout);
        Assert.Equal("finished", done.GetProperty("state").GetString());
        var surrogate = await fixture.Server.GetJsonAsync($"/api/jobs/{id}/surrogate");
        int ranked = surrogate.GetProperty("ranked").GetInt32(), trained = surrogate.GetProperty("trained").GetInt32();
        Assert.True(trained > 0 && ranked > trained, $"{surrogate}");

        await using var ui = await fixture.OpenAsync($"#/jobs/{id}");
        var page = ui.Page;
        await Expect(page.Locator("#surrogate-facts")).ToContainTextAsync($"loss@regression · {ranked} children ranked · {trained} trained, {ranked - trained} screened out");
        int measured = surrogate.GetProperty("measured").GetInt32();
        if (measured > 0) await Expect(page.Locator("#surrogate-plot circle.point")).ToHaveCountAsync(measured);
        ui.AssertNoDialogsOrScriptErrors();

        // A job without a surrogate has no such section.
        await fixture.TinyJobFinishedAsync();
        await using var plain = await fixture.OpenAsync($"#/jobs/{fixture.TinyJobId}");
        await Expect(plain.Page.Locator("#job-heldout")).ToBeVisibleAsync();
        await Expect(plain.Page.Locator("#job-surrogate")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_held_out_evaluation_that_report_saved_is_shown_on_the_job_page()
    {
        await fixture.TinyJobFinishedAsync();
        string id = fixture.TinyJobId;
        await using (var before = await fixture.OpenAsync($"#/jobs/{id}"))
        {
            await Expect(before.Page.Locator("#heldout-none")).ToContainTextAsync($"actsearch report {id} --protocol evidence");
            before.AssertNoDialogsOrScriptErrors();
        }

        var (code, output) = await fixture.Server.RunCliAsync(TimeSpan.FromMinutes(3), "report", id, "--format", "md", "--top", "1", "--seeds", "2",
            "--heldout-task", "tabular-mlp", "--steps", "10", "--out", Path.Combine(fixture.Server.Home, "heldout.md"));
        Assert.True(code == 0, output);
        var saved = await fixture.Server.GetJsonAsync($"/api/jobs/{id}/heldout");
        var rows = saved.GetProperty("tasks")[0].GetProperty("rows");

        await using var ui = await fixture.OpenAsync($"#/jobs/{id}");
        var page = ui.Page;
        await Expect(page.Locator("#heldout-facts")).ToContainTextAsync("standard protocol · seeds 1..2 · 10 steps per run");
        await Expect(page.Locator("#heldout-transfer tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator(".heldout-note")).ToContainTextAsync(["Every run trained for 10 steps (--steps)"]);
        var table = page.Locator(".heldout-task[data-task='tabular-mlp'] tbody tr");
        await Expect(table).ToHaveCountAsync(rows.GetArrayLength());
        string found = rows.EnumerateArray().First(r => !r.GetProperty("baseline").GetBoolean()).GetProperty("function").GetString()!;
        await Expect(page.Locator($".heldout-task[data-task='tabular-mlp'] tr[data-function='{found}'] td").Nth(0)).ToHaveTextAsync("found");
        await Expect(page.Locator(".heldout-task[data-task='tabular-mlp'] tr[data-function='relu'] td").Nth(0)).ToContainTextAsync("baseline");
        // Cost columns: relu has no learnable number and one operation per element.
        Assert.Equal(0, rows.EnumerateArray().First(r => r.GetProperty("function").GetString() == "relu").GetProperty("parameters").GetInt32());
        await Expect(page.Locator(".heldout-task[data-task='tabular-mlp'] tr[data-function='relu'] td").Nth(8)).ToHaveTextAsync("0");
        await Expect(page.Locator(".heldout-task[data-task='tabular-mlp'] tr[data-function='relu'] td").Nth(9)).ToHaveTextAsync("1");
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Cancelling_a_job_from_its_page_needs_the_api_token_set_in_the_token_dialog()
    {
        var submitted = await fixture.Server.SubmitJobAsync(fixture.TinySpace, "web-ui cancel me", budget: 100_000, wallTimeSeconds: 600);
        string id = submitted.GetProperty("id").GetString()!;
        await using var ui = await fixture.OpenAsync($"#/jobs/{id}");
        var page = ui.Page;
        var cancel = page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" });

        // Without a token the server refuses the write, and the page says how to fix it.
        await cancel.ClickAsync();
        await Expect(page.Locator("#job-action-status [role=alert]")).ToContainTextAsync("API token");
        Assert.NotEqual("cancelled", (await fixture.Server.GetJsonAsync($"/api/jobs/{id}")).GetProperty("state").GetString());

        await page.GetByRole(AriaRole.Button, new() { Name = "API token" }).ClickAsync();
        await page.Locator("#token-input").FillAsync(fixture.Server.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("#token-dialog")).Not.ToBeVisibleAsync();

        await cancel.ClickAsync();
        await Expect(page.Locator("#job-state")).ToHaveTextAsync("cancelled", new() { Timeout = (float)WebUiFixture.JobTimeout.TotalMilliseconds });
        await Expect(cancel).Not.ToBeVisibleAsync();
        await Expect(page.Locator("#job-action-status [role=alert]")).ToHaveCountAsync(0);
        Assert.Equal("cancelled", (await fixture.Server.WaitFinalAsync(id, WebUiFixture.JobTimeout)).GetProperty("state").GetString());
        // The 401 answer is logged by the browser as a failed resource load; nothing else went wrong.
        ui.AssertNoDialogsOrScriptErrors(allowFailedRequests: true);
    }

    [Fact]
    public async Task Jobs_list_shows_each_job_with_its_state_progress_and_best_values()
    {
        var job = await fixture.TinyJobFinishedAsync();
        await using var ui = await fixture.OpenAsync("#/jobs");
        var row = ui.Page.Locator($"tr[data-job-id='{fixture.TinyJobId}']");

        await Expect(row.Locator("a.job-name")).ToHaveTextAsync("web-ui tiny regression");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("finished");
        await Expect(row.Locator("[role=progressbar]")).ToHaveAttributeAsync("aria-valuenow", "100");
        // One line per objective with a best value, each linking to that activation.
        foreach (var objective in job.GetProperty("best").EnumerateObject())
        {
            var line = row.Locator(".best-list li", new() { HasText = objective.Name });
            await Expect(line.Locator("a.formula")).ToHaveTextAsync(objective.Value.GetProperty("formula").GetString()!);
            await Expect(line.Locator("a.formula")).ToHaveAttributeAsync("href", $"#/activations/{objective.Value.GetProperty("activationId").GetString()}");
        }
        await Expect(ui.Page.Locator("nav a[data-nav=jobs]")).ToHaveAttributeAsync("aria-current", "page");

        await ui.ScreenshotAsync("jobs-list");
        await row.Locator("a.job-name").ClickAsync();
        await Expect(ui.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/jobs/{fixture.TinyJobId}$"));
        await Expect(ui.Page.Locator("#job-state")).ToHaveTextAsync("finished");
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Front_history_and_axes_can_be_chosen_and_a_point_opens_its_activation()
    {
        await fixture.TinyJobFinishedAsync();
        var latest = await fixture.Server.GetJsonAsync($"/api/jobs/{fixture.TinyJobId}/front");
        int[] generations = latest.GetProperty("generations").EnumerateArray().Select(g => g.GetInt32()).ToArray();
        Assert.True(generations.Length >= 2, $"the tiny job runs several generations: {latest}");
        await using var ui = await fixture.OpenAsync($"#/jobs/{fixture.TinyJobId}");
        var page = ui.Page;
        await Expect(page.Locator("#front-plot svg")).ToBeVisibleAsync();

        // The first generation's front, as the API has it.
        var first = await fixture.Server.GetJsonAsync($"/api/jobs/{fixture.TinyJobId}/front?generation={generations[0]}");
        await page.Locator("#front-generation").SelectOptionAsync(generations[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#front-plot")).ToContainTextAsync($"Generation {generations[0]} ·");
        await Expect(page.Locator("#front-members tbody tr")).ToHaveCountAsync(first.GetProperty("members").GetArrayLength());
        // The slider follows the select, and back to the latest generation.
        await Expect(page.Locator("#front-generation-slider")).ToHaveValueAsync("0");
        await page.Locator("#front-generation-slider").FillAsync((generations.Length - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#front-plot")).ToContainTextAsync($"Generation {generations[^1]} ·");

        // Axes: any objective, or the generation a member was found in.
        string[] objectives = latest.GetProperty("objectives").EnumerateArray().Select(o => o.GetString()!).ToArray();
        await page.Locator("#front-x").SelectOptionAsync("generation");
        await page.Locator("#front-y").SelectOptionAsync(objectives[0]);
        await Expect(page.Locator("#front-plot svg")).ToContainTextAsync("generation found");
        await Expect(page.Locator("#front-plot svg")).ToContainTextAsync($"{objectives[0]} (lower is better)");
        await ui.ScreenshotAsync("job-front-by-generation");

        var point = page.Locator("#front-plot a.point-link").First;
        string href = (await point.GetAttributeAsync("href"))!;
        Assert.StartsWith("#/activations/", href, StringComparison.Ordinal);
        await point.ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"{System.Text.RegularExpressions.Regex.Escape(href)}$"));
        await Expect(page.Locator("#activation-formula")).Not.ToBeEmptyAsync();
        ui.AssertNoDialogsOrScriptErrors();
    }
}
