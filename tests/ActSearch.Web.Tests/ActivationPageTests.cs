using System.Text.Json;
using static Microsoft.Playwright.Assertions;

namespace ActSearch.Web.Tests;

/// <summary>An activation's page: the typeset formula, f and f' plotted, scores, the jobs that found it, exports.</summary>
[Collection(WebUiCollection.Name)]
public sealed class ActivationPageTests(WebUiFixture fixture)
{
    private async Task<JsonElement> AFrontActivationAsync()
    {
        await fixture.TinyJobFinishedAsync();
        var front = await fixture.Server.GetJsonAsync($"/api/jobs/{fixture.TinyJobId}/front");
        string id = front.GetProperty("members")[0].GetProperty("activationId").GetString()!;
        return await fixture.Server.GetJsonAsync($"/api/activations/{id}");
    }

    [Fact]
    public async Task Activation_page_plots_f_and_its_derivative_and_typesets_the_formula()
    {
        var activation = await AFrontActivationAsync();
        string id = activation.GetProperty("id").GetString()!;
        await using var ui = await fixture.OpenAsync($"#/activations/{id}");
        var page = ui.Page;

        await Expect(page.Locator("#activation-formula")).ToHaveTextAsync(activation.GetProperty("formula").GetString()!);
        // f and f' are drawn as paths with real data in them (one move, then line segments).
        foreach (string curve in new[] { "curve-f", "curve-df" })
        {
            string d = (await page.Locator($"#activation-plot svg path.{curve}").GetAttributeAsync("d"))!;
            Assert.Matches("^M[-0-9.]+ [-0-9.]+(L[-0-9.]+ [-0-9.]+){10,}", d);
        }
        await Expect(page.Locator("#activation-plot svg .legend")).ToContainTextAsync("f′(x)");
        // KaTeX (vendored) typesets the API's LaTeX; its MathML copy carries the same formula for screen readers.
        await Expect(page.Locator("#activation-math .katex")).ToBeVisibleAsync();
        await Expect(page.Locator("#activation-math .katex-mathml annotation")).ToHaveTextAsync(activation.GetProperty("latex").GetString()!);

        // Scores per task and the job that found it.
        foreach (var score in activation.GetProperty("scores").EnumerateArray())
            await Expect(page.Locator("table.scores tbody")).ToContainTextAsync(score.GetProperty("objective").GetString()!);
        await Expect(page.Locator($"ul.job-list a[href='#/jobs/{fixture.TinyJobId}']")).ToHaveTextAsync("web-ui tiny regression");

        await ui.ScreenshotAsync("activation-page");
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task Export_snippets_show_the_servers_code_and_copy_it_to_the_clipboard()
    {
        var activation = await AFrontActivationAsync();
        await using var ui = await fixture.OpenAsync($"#/activations/{activation.GetProperty("id").GetString()}");
        var page = ui.Page;
        var exports = activation.GetProperty("exports");

        var pytorch = page.Locator(".code-block", new() { Has = page.Locator("h3", new() { HasText = "PyTorch" }) });
        await Expect(pytorch.Locator("code")).ToContainTextAsync("nn.Module");
        string shown = await pytorch.Locator("code").InnerTextAsync();
        Assert.Equal(exports.GetProperty("pytorch").GetString()!.TrimEnd(), shown.TrimEnd());
        foreach (string label in new[] { "TorchSharp", "LaTeX", "SymPy" })
            await Expect(page.Locator(".code-block h3", new() { HasText = label })).ToBeVisibleAsync();

        await pytorch.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Copy PyTorch" }).ClickAsync();
        await Expect(pytorch.Locator(".copy-status")).ToHaveTextAsync("Copied");
        string clipboard = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(exports.GetProperty("pytorch").GetString(), clipboard);
        ui.AssertNoDialogsOrScriptErrors();
    }

    [Fact]
    public async Task The_page_shows_what_a_surrogate_sees_the_probe_features_and_a_kept_fisher_spectrum()
    {
        var activation = await AFrontActivationAsync();
        string id = activation.GetProperty("id").GetString()!;
        double[] spectrum = [2.0, 1.0, 0.5, -0.5, -3.0, -8.0];
        // As a job's surrogate stores it (the grain's path has its own tests): straight into the server's database.
        var storage = await ActSearch.Storage.ActSearchStorage.OpenAsync(new ActSearch.Storage.StorageOptions { ConnectionString = fixture.Server.ConnectionString });
        await using (storage)
            await storage.Features.SaveAsync([new ActSearch.Storage.FeatureRecord(
                new ActSearch.Expressions.Fingerprint(ulong.Parse(id, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture)), "fisher", "fmnist-cnn", 1, spectrum, 0.064)]);
        // The catalog's answers are cached for 2 s: wait until the API shows the spectrum.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await fixture.Server.GetJsonAsync($"/api/activations/{id}")).GetProperty("features").GetProperty("kept").GetArrayLength() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the API never showed the stored spectrum");
            await Task.Delay(250);
        }

        await using var ui = await fixture.OpenAsync($"#/activations/{id}");
        var page = ui.Page;
        await Expect(page.Locator("#features h2")).ToHaveTextAsync("What a surrogate sees");
        foreach (string curve in new[] { "curve-f", "curve-df" })
        {
            string d = (await page.Locator($"#probe-features svg path.{curve}").GetAttributeAsync("d"))!;
            Assert.Matches("^M[-0-9.]+ [-0-9.]+(L[-0-9.]+ [-0-9.]+){40}$", d); // the 41 probe points
        }
        string line = (await page.Locator("#fisher-spectrum svg path.curve-f").GetAttributeAsync("d"))!;
        Assert.Matches("^M[-0-9.]+ [-0-9.]+(L[-0-9.]+ [-0-9.]+){5}$", line); // one point per eigenvalue
        await Expect(page.Locator("#fisher-spectrum svg .legend")).ToContainTextAsync("fmnist-cnn (v1)");
        await Expect(page.Locator("#fisher-spectrum figcaption")).ToContainTextAsync("fmnist-cnn: 6 largest eigenvalues, 64 ms");
        await Expect(page.Locator("#fisher-none")).ToHaveCountAsync(0);
        await ui.ScreenshotAsync("activation-features");
        ui.AssertNoDialogsOrScriptErrors();
    }
}
