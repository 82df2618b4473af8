using static Microsoft.Playwright.Assertions;

namespace ActSearch.Web.Tests;

/// <summary>
/// Text that users supply (job names, search text, error messages) is shown as text and never runs: the pages build
/// DOM with text nodes, never innerHTML. A script tag inserted as HTML would not run by itself, so the names also
/// carry an image whose onerror handler would open a dialog if it ever became markup.
/// </summary>
[Collection(WebUiCollection.Name)]
public sealed class SafetyTests(WebUiFixture fixture)
{
    private const string HostileName = "<script>alert(1)</script><img src=x onerror=alert(2)>";

    [Fact]
    public async Task A_job_named_like_markup_shows_as_text_on_the_list_and_its_page()
    {
        var job = await fixture.Server.SubmitJobAsync(fixture.TinySpace, HostileName, budget: 2);
        string id = job.GetProperty("id").GetString()!;
        await fixture.Server.PostAsync($"/api/jobs/{id}/cancel");
        await fixture.Server.WaitFinalAsync(id, WebUiFixture.JobTimeout);

        await using var ui = await fixture.OpenAsync("#/jobs");
        var page = ui.Page;
        var link = page.Locator($"tr[data-job-id='{id}'] a.job-name");
        await Expect(link).ToHaveTextAsync(HostileName);
        await Expect(link).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("main script, main img").CountAsync());
        await ui.ScreenshotAsync("hostile-job-name-list");

        await link.ClickAsync();
        await Expect(page.Locator("#job-name")).ToHaveTextAsync(HostileName);
        await Expect(page).ToHaveTitleAsync($"{HostileName} · {await page.Locator("#job-state").InnerTextAsync()} · ActSearch");
        Assert.Equal(0, await page.Locator("main script, main img").CountAsync());
        await ui.ScreenshotAsync("hostile-job-name-page");
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Search_text_that_looks_like_markup_is_sent_as_text_and_finds_nothing()
    {
        await using var ui = await fixture.OpenAsync("#/activations");
        var page = ui.Page;
        await page.Locator("#catalog-q").FillAsync(HostileName);
        await Expect(page.Locator("#catalog-empty")).ToHaveTextAsync($"No activation matches: none has text “{HostileName}”.");
        Assert.Equal(0, await page.Locator("main img").CountAsync());

        // Also through the address: the query parameter lands in the input as its value.
        await using var deep = await fixture.OpenAsync("#/activations?q=" + Uri.EscapeDataString(HostileName));
        await Expect(deep.Page.Locator("#catalog-q")).ToHaveValueAsync(HostileName);
        await Expect(deep.Page.Locator("#catalog-empty")).ToHaveTextAsync($"No activation matches: none has text “{HostileName}”.");
        ui.AssertNoDialogsOrScriptErrors();
        deep.AssertNoDialogsOrScriptErrors();
    }
}
