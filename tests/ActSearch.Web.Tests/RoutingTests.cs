using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace ActSearch.Web.Tests;

/// <summary>Hash routes work as deep links from the one static index.html, and wrong ones say so.</summary>
[Collection(WebUiCollection.Name)]
public sealed class RoutingTests(WebUiFixture fixture)
{
    [Fact]
    public async Task The_root_opens_the_jobs_list_and_the_navigation_marks_the_current_section()
    {
        await using var ui = await fixture.OpenAsync("");
        await Expect(ui.Page).ToHaveURLAsync(new Regex("#/jobs$"));
        await Expect(ui.Page.Locator("h1")).ToHaveTextAsync("Jobs");
        await Expect(ui.Page).ToHaveTitleAsync("Jobs · ActSearch");

        await ui.Page.Locator("nav a[data-nav=activations]").ClickAsync();
        await Expect(ui.Page.Locator("h1")).ToHaveTextAsync("Activation catalog");
        await Expect(ui.Page.Locator("nav a[data-nav=activations]")).ToHaveAttributeAsync("aria-current", "page");
        await Expect(ui.Page.Locator("nav a[data-nav=jobs]")).Not.ToHaveAttributeAsync("aria-current", "page");
        // Back returns to the jobs list.
        await ui.Page.GoBackAsync();
        await Expect(ui.Page.Locator("h1")).ToHaveTextAsync("Jobs");
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Unknown_jobs_activations_and_pages_say_not_found()
    {
        await using var ui = await fixture.OpenAsync($"#/jobs/{Guid.NewGuid()}");
        await Expect(ui.Page.Locator("h1")).ToHaveTextAsync("Job not found");
        await Expect(ui.Page.Locator("[role=alert]")).ToBeVisibleAsync();

        await ui.GoAsync("#/activations/ffffffffffffffff");
        await Expect(ui.Page.Locator("h1")).ToHaveTextAsync("Activation not found");

        await ui.GoAsync("#/no/such/page");
        await Expect(ui.Page.Locator("h1")).ToHaveTextAsync("Page not found");
        await Expect(ui.Page.Locator("main code")).ToHaveTextAsync("/no/such/page");
        ui.AssertNoDialogsOrScriptErrors(allowFailedRequests: true);
    }
}
