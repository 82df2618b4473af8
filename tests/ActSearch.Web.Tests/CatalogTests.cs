using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace ActSearch.Web.Tests;

/// <summary>The activation catalog: every evaluated formula across jobs, searchable, filterable, with curve thumbnails.</summary>
[Collection(WebUiCollection.Name)]
public sealed class CatalogTests(WebUiFixture fixture)
{
    [Fact]
    public async Task Catalog_lists_the_functions_a_job_found_with_curve_thumbnails()
    {
        await fixture.TinyJobFinishedAsync();
        await using var ui = await fixture.OpenAsync("#/activations");
        var page = ui.Page;

        // The first page is the server's first page, in its order, each row with a thumbnail of the 41-point curve.
        var catalog = await fixture.Server.GetJsonAsync("/api/activations?pageSize=25");
        var firstPage = catalog.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray();
        await Expect(page.Locator(".pager-text")).ToContainTextAsync($"{catalog.GetProperty("total").GetInt32()} activations");
        Assert.Equal(firstPage, await page.Locator("table.catalog tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.activationId)"));
        foreach (string d in await page.Locator("table.catalog tbody svg.thumb path.thumb-curve").EvaluateAllAsync<string[]>("paths => paths.map(p => p.getAttribute('d'))"))
            Assert.Matches("^M[-0-9.]+ [-0-9.]+(L[-0-9.]+ [-0-9.]+){5,}", d);
        await Expect(page.Locator("table.catalog tbody svg.thumb path.thumb-curve")).ToHaveCountAsync(firstPage.Length);
        await ui.ScreenshotAsync("catalog");

        // Every member of the tiny job's front is in the catalog: searching for its formula finds its row.
        var front = await fixture.Server.GetJsonAsync($"/api/jobs/{fixture.TinyJobId}/front");
        foreach (var member in front.GetProperty("members").EnumerateArray())
        {
            await page.Locator("#catalog-q").FillAsync(member.GetProperty("formula").GetString()!);
            var row = page.Locator($"tr[data-activation-id='{member.GetProperty("activationId").GetString()}']");
            await Expect(row.Locator("a.formula")).ToHaveTextAsync(member.GetProperty("formula").GetString()!);
            await Expect(row.Locator("svg.thumb path.thumb-curve")).ToHaveCountAsync(1);
        }

        // A row's formula opens the activation page.
        var firstLink = page.Locator("table.catalog tbody tr a.formula").First;
        string formula = await firstLink.InnerTextAsync();
        await firstLink.ClickAsync();
        await Expect(page.Locator("#activation-formula")).ToHaveTextAsync(formula);
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Search_filters_by_formula_text_and_the_address_keeps_it_for_a_deep_link()
    {
        await fixture.TinyJobFinishedAsync();
        var matches = await fixture.Server.GetJsonAsync("/api/activations?q=sigmoid&pageSize=200");
        int total = matches.GetProperty("total").GetInt32();
        Assert.True(total > 0, "the tiny space seeds x * sigmoid(x), so the catalog has a sigmoid formula");
        await using var ui = await fixture.OpenAsync("#/activations");
        var page = ui.Page;

        await page.Locator("#catalog-q").FillAsync("sigmoid");
        await Expect(page.Locator(".pager-text")).ToContainTextAsync($"· {total} activations");
        foreach (string text in await page.Locator("table.catalog tbody a.formula").AllInnerTextsAsync())
            Assert.Contains("sigmoid", text, StringComparison.Ordinal);
        await Expect(page).ToHaveURLAsync(new Regex("#/activations\\?q=sigmoid$"));

        // The same address in a new tab shows the same search.
        await using var deep = await fixture.OpenAsync("#/activations?q=sigmoid");
        await Expect(deep.Page.Locator("#catalog-q")).ToHaveValueAsync("sigmoid");
        await Expect(deep.Page.Locator(".pager-text")).ToContainTextAsync($"· {total} activations");
        ui.AssertNoDialogsOrScriptErrors();
        deep.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Task_filter_and_sort_ask_the_server_and_keep_the_choice_in_the_address()
    {
        await fixture.TinyJobFinishedAsync();
        var regression = await fixture.Server.GetJsonAsync("/api/activations?task=regression&objective=loss&pageSize=25");
        await using var ui = await fixture.OpenAsync("#/activations");
        var page = ui.Page;

        await page.Locator("#catalog-task").SelectOptionAsync("regression");
        await page.Locator("#catalog-objective").SelectOptionAsync("loss");
        await Expect(page).ToHaveURLAsync(new Regex("task=regression&objective=loss"));
        await Expect(page.Locator("table.catalog caption")).ToHaveTextAsync("Activations sorted by best loss on regression");
        var ids = regression.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray();
        await Expect(page.Locator("table.catalog tbody tr")).ToHaveCountAsync(ids.Length);
        // Sorted by the best loss, as the server sorts it; every row shows its loss on regression.
        Assert.Equal(ids, await page.Locator("table.catalog tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.activationId)"));
        foreach (var item in regression.GetProperty("items").EnumerateArray())
        {
            var loss = item.GetProperty("scores").EnumerateArray().First(s => s.GetProperty("objective").GetString() == "loss" && s.GetProperty("task").GetString() == "regression");
            Assert.True(loss.GetProperty("value").ValueKind == System.Text.Json.JsonValueKind.Number);
        }

        await page.Locator("button.sort[data-sort=recent]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("sort=recent"));
        await Expect(page.Locator("table.catalog caption")).ToHaveTextAsync("Activations sorted by most recent");
        await Expect(page.Locator("th[aria-sort=descending] button")).ToHaveAttributeAsync("data-sort", "recent");
        var recent = await fixture.Server.GetJsonAsync("/api/activations?task=regression&objective=loss&sort=recent&pageSize=25");
        Assert.Equal(recent.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray(),
            await page.Locator("table.catalog tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.activationId)"));
        ui.AssertNoDialogsOrScriptErrors();
    }
}
