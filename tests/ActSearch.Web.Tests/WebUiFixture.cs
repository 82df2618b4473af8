using System.Text.Json;
using ActSearch.Storage.Tests;
using Microsoft.Playwright;

namespace ActSearch.Web.Tests;

/// <summary>
/// Shared by every browser test: one PostgreSQL database, one `actsearch serve` process, one headless Chromium, and
/// one small search submitted at the start (<see cref="TinyJob"/>) whose results the catalog and activation tests read.
/// </summary>
public sealed class WebUiFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium (scripts/setup.sh installs it); ACTSEARCH_CHROMIUM overrides the path.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("ACTSEARCH_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);

    private readonly PostgresServer _postgres = new();
    private TestDatabase? _database;
    private IPlaywright? _playwright;
    private Task<JsonElement>? _tinyJobFinished;

    public ActSearchServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The search space every test job uses: a dozen free trees fitted on the CPU regression proxy.</summary>
    public string TinySpace { get; } = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "tiny-regression.yaml"));

    /// <summary>The job submitted when the fixture starts (Job JSON as the POST returned it).</summary>
    public JsonElement TinyJob { get; private set; }

    public string TinyJobId => TinyJob.GetProperty("id").GetString()!;

    /// <summary>Screenshots of each page, kept as test artifacts: &lt;test output&gt;/TestResults/screenshots.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        // Fail loudly, never skip: a missing browser is a machine set-up problem with a one-line fix.
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Chromium is missing ({ChromiumPath} not found): run `bash scripts/setup.sh` to install Debian's chromium.");
        Directory.CreateDirectory(ScreenshotDir);

        await _postgres.InitializeAsync();
        _database = await _postgres.CreateDatabaseAsync();
        Server = await ActSearchServer.StartAsync(_database.ConnectionString, TimeSpan.FromSeconds(120));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Chromium's own network traffic (updates, sync, QUIC probes) is refused on a closed network: switch it off.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });

        TinyJob = await Server.SubmitJobAsync(TinySpace, "web-ui tiny regression");
        _tinyJobFinished = Server.WaitFinalAsync(TinyJobId, JobTimeout);
    }

    /// <summary>The tiny job once it is final (it must have finished, not failed).</summary>
    public async Task<JsonElement> TinyJobFinishedAsync()
    {
        var job = await _tinyJobFinished!;
        Assert.True(job.GetProperty("state").GetString() == "finished", $"the tiny job did not finish: {job}\n{Server.LogTail()}");
        return job;
    }

    /// <summary>A fresh browser context (1280×800, clipboard allowed) and page that records dialogs and script errors.</summary>
    public async Task<UiPage> OpenAsync(string hash)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        var page = await context.NewPageAsync();
        var ui = new UiPage(context, page);
        await ui.GoAsync(hash);
        return ui;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebUiCollection : ICollectionFixture<WebUiFixture>
{
    public const string Name = "web-ui";
}

/// <summary>A page under test: every dialog (alert, confirm) and uncaught script error is recorded, so tests can say none happened.</summary>
public sealed class UiPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    private readonly List<string> _dialogs = [];
    private readonly List<string> _errors = [];
    private bool _hooked;

    public IPage Page => page;

    public IReadOnlyList<string> Dialogs => _dialogs;

    public IReadOnlyList<string> ScriptErrors => _errors;

    public async Task GoAsync(string hash)
    {
        if (!_hooked)
        {
            _hooked = true;
            page.Dialog += async (_, dialog) =>
            {
                lock (_dialogs) _dialogs.Add($"{dialog.Type}: {dialog.Message}");
                await dialog.DismissAsync();
            };
            page.PageError += (_, error) => { lock (_errors) _errors.Add(error); };
            page.Console += (_, message) =>
            {
                if (message.Type == "error") lock (_errors) _errors.Add($"console: {message.Text}");
            };
        }
        await page.GotoAsync("/" + hash);
    }

    /// <summary>
    /// Saves a full-page PNG as a test artifact and checks the page fits the 1280-pixel-wide window without
    /// scrolling sideways; returns the PNG's path.
    /// </summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        string path = Path.Combine(WebUiFixture.ScreenshotDir, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        int[] widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        var (content, window) = (widths[0], widths[1]);
        Assert.True(content <= window, $"{name}: the page is {content} px wide in a {window} px window (see {path})");
        return path;
    }

    /// <summary>
    /// No dialog opened and no script failed while the page was used. <paramref name="allowFailedRequests"/>: the
    /// browser's own console line for an HTTP error answer (a 404 the page asked for on purpose) is not a script error.
    /// </summary>
    public void AssertNoDialogsOrScriptErrors(bool allowFailedRequests = false)
    {
        Assert.True(_dialogs.Count == 0, "a dialog opened: " + string.Join("; ", _dialogs));
        var errors = _errors.Where(e => !(allowFailedRequests && e.StartsWith("console: Failed to load resource", StringComparison.Ordinal))).ToList();
        Assert.True(errors.Count == 0, "script errors: " + string.Join("; ", errors));
    }

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}
