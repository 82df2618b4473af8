using System.Net;
using System.Text.Json;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.Storage;
using ActSearch.Storage.Tests;

namespace ActSearch.Api.Tests;

/// <summary>
/// A server over a seeded catalog (no jobs run): x*sigmoid(k*x) for k = 1..30, accuracy on fmnist-cnn for k = 1..20
/// (value k/100), accuracy on cifar for k = 21..25, loss on regression for k = 26..30 (value k, minimized), each
/// recorded in its own transaction (k = 30 last), plus one layer with group statistics, and before all of them one
/// formula with a learned unit.
/// </summary>
public sealed class CatalogServer : IAsyncLifetime
{
    public const string Layer = "x / sqrt(group_var(x, 4) + 0.00001)";

    public const string Learned = "beta * rational{3,2,init=gelu}(x)";
    public static readonly Guid JobA = Guid.Parse("00000000-0000-0000-0000-00000000000a");

    public ApiServer Server { get; private set; } = null!;

    private PostgresServer _postgres = null!;

    public static string Formula(int k) => TextPrinter.Print(ExprParser.Parse($"x * sigmoid({k} * x)"));

    public static Fingerprint Id(int k) => Fingerprint.Of(ExprParser.Parse(Formula(k)));

    public async Task InitializeAsync()
    {
        _postgres = new PostgresServer();
        await _postgres.InitializeAsync();
        Server = await ApiServer.StartAsync(_postgres);
        var learned = ExprParser.Parse(Learned);
        await Server.Storage.Catalog.RecordAsync([new CatalogObservation(Fingerprint.Of(learned), TextPrinter.Print(learned), JobA, 98, [])]);
        for (int k = 1; k <= 30; k++)
        {
            ObservedScore score = k switch
            {
                <= 20 => new("accuracy", "fmnist-cnn", k / 100.0, ScoreGoal.Maximize),
                <= 25 => new("accuracy", "cifar", k / 100.0, ScoreGoal.Maximize),
                _ => new("loss", "regression", k, ScoreGoal.Minimize),
            };
            await Server.Storage.Catalog.RecordAsync([new CatalogObservation(Id(k), Formula(k), JobA, k, [score])]);
        }
        var layer = ExprParser.Parse(Layer);
        await Server.Storage.Catalog.RecordAsync([new CatalogObservation(Fingerprint.Of(layer), TextPrinter.Print(layer), JobA, 99, [])]);
        await Server.Storage.Features.SaveAsync([new FeatureRecord(Id(3), "fisher", "fmnist-cnn", 1, Spectrum, 0.064)]);
    }

    /// <summary>A Fisher spectrum kept for function 3 (log10 eigenvalues, largest first).</summary>
    public static readonly double[] Spectrum = [1.5, 0.25, -1.0, -8.0];

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

public sealed class ActivationApiTests(CatalogServer fixture) : IClassFixture<CatalogServer>
{
    private ApiServer Server => fixture.Server;

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];

    [Fact]
    public async Task By_default_the_catalog_is_sorted_by_accuracy_on_the_task_with_most_scores()
    {
        var page = await Server.GetJsonAsync("/api/activations");
        Assert.Equal(20, page.GetProperty("total").GetInt64());
        Assert.Equal([.. Enumerable.Range(1, 20).Reverse().Select(k => CatalogServer.Id(k).ToString())], Ids(page));
        var first = page.GetProperty("items")[0];
        Assert.Equal(CatalogServer.Formula(20), first.GetProperty("formula").GetString());
        var score = first.GetProperty("scores").EnumerateArray().Single();
        Assert.Equal(("accuracy", "fmnist-cnn", 0.2, "maximize"),
            (score.GetProperty("objective").GetString(), score.GetProperty("task").GetString(), score.GetProperty("value").GetDouble(), score.GetProperty("goal").GetString()));
        var curve = first.GetProperty("curve").EnumerateArray().ToList();
        Assert.Equal(41, curve.Count);
        Assert.Equal(-5, curve[0][0].GetDouble());
        Assert.Equal(5, curve[^1][0].GetDouble());
        Assert.Equal(0, curve[20][1].GetDouble(), 12); // x * sigmoid(20 x) at 0
    }

    [Fact]
    public async Task A_task_and_an_objective_choose_the_ranking()
    {
        var cifar = await Server.GetJsonAsync("/api/activations?task=cifar");
        Assert.Equal([.. Enumerable.Range(21, 5).Reverse().Select(k => CatalogServer.Id(k).ToString())], Ids(cifar));
        var loss = await Server.GetJsonAsync("/api/activations?objective=loss&task=regression");
        Assert.Equal([.. Enumerable.Range(26, 5).Select(k => CatalogServer.Id(k).ToString())], Ids(loss)); // minimized: smallest first
        var none = await Server.GetJsonAsync("/api/activations?objective=flops");
        Assert.Equal(0, none.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Recent_lists_every_function_newest_first_and_filters_by_task_and_text()
    {
        var recent = await Server.GetJsonAsync("/api/activations?sort=recent&pageSize=200");
        Assert.Equal(32, recent.GetProperty("total").GetInt64());
        var ids = Ids(recent);
        Assert.Equal(CatalogServer.Id(30).ToString(), ids[1]); // the layer was recorded last
        Assert.Equal(JsonValueKind.Null, recent.GetProperty("items")[0].GetProperty("curve").ValueKind);
        var cifar = await Server.GetJsonAsync("/api/activations?sort=recent&task=cifar");
        Assert.Equal([.. Enumerable.Range(21, 5).Reverse().Select(k => CatalogServer.Id(k).ToString())], Ids(cifar));
        var text = await Server.GetJsonAsync("/api/activations?sort=recent&q=" + Uri.EscapeDataString("SIGMOID(2"));
        Assert.Equal(new[] { 2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 }.Length, text.GetProperty("total").GetInt64());
        var markup = await Server.GetJsonAsync("/api/activations?q=" + Uri.EscapeDataString("<script>alert(1)</script>"));
        Assert.Equal(0, markup.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Pages_cover_the_listing_without_gaps_or_repeats()
    {
        var all = Ids(await Server.GetJsonAsync("/api/activations?pageSize=200"));
        var paged = new List<string>();
        for (int page = 1; page <= 3; page++)
        {
            var p = await Server.GetJsonAsync($"/api/activations?page={page}&pageSize=7");
            Assert.Equal(20, p.GetProperty("total").GetInt64());
            Assert.Equal(page, p.GetProperty("page").GetInt32());
            paged.AddRange(Ids(p));
        }
        Assert.Equal(all, paged);
        Assert.Empty(Ids(await Server.GetJsonAsync("/api/activations?page=4&pageSize=7")));
        await Server.GetJsonAsync("/api/activations?pageSize=201", HttpStatusCode.BadRequest);
        await Server.GetJsonAsync("/api/activations?page=0", HttpStatusCode.BadRequest);
        await Server.GetJsonAsync("/api/activations?sort=best", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_detail_has_curves_structure_jobs_and_exports()
    {
        string id = CatalogServer.Id(1).ToString();
        var a = await Server.GetJsonAsync($"/api/activations/{id}");
        Assert.Equal(id, a.GetProperty("id").GetString());
        Assert.False(a.GetProperty("isLayer").GetBoolean());
        var curve = a.GetProperty("curve").EnumerateArray().ToList();
        var derivative = a.GetProperty("derivative").EnumerateArray().ToList();
        Assert.Equal(201, curve.Count);
        Assert.Equal(201, derivative.Count);
        Assert.Equal(0, curve[100][0].GetDouble(), 12);
        Assert.Equal(0.5, derivative[100][1].GetDouble(), 9); // (x sigmoid(x))' at 0 = 1/2
        Assert.Equal(5 / (1 + Math.Exp(-5)), curve[^1][1].GetDouble(), 9);
        Assert.True(a.GetProperty("nodes").GetInt32() >= 3);
        Assert.True(a.GetProperty("complexity").GetInt32() >= a.GetProperty("nodes").GetInt32());
        Assert.Contains(a.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("jobId").GetGuid() == CatalogServer.JobA && j.GetProperty("candidateId").GetInt64() == 1);
        var exports = a.GetProperty("exports");
        foreach (var format in new[] { "pytorch", "torchsharp", "latex", "sympy" })
        {
            using var response = await Server.Client.GetAsync($"/api/activations/{id}/export?format={format}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            string code = await response.Content.ReadAsStringAsync();
            Assert.False(string.IsNullOrWhiteSpace(code));
            Assert.Equal(exports.GetProperty(format).GetString(), code);
        }
        Assert.Contains("sigmoid", exports.GetProperty("pytorch").GetString(), StringComparison.Ordinal);
        Assert.Contains("\\sigma", exports.GetProperty("latex").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_layer_has_no_scalar_curve()
    {
        var layer = ExprParser.Parse(CatalogServer.Layer);
        string id = Fingerprint.Of(layer).ToString();
        var a = await Server.GetJsonAsync($"/api/activations/{id}");
        Assert.True(a.GetProperty("isLayer").GetBoolean());
        Assert.Equal(JsonValueKind.Null, a.GetProperty("curve").ValueKind);
        Assert.Equal(JsonValueKind.Null, a.GetProperty("derivative").ValueKind);
        await Server.GetJsonAsync($"/api/activations/{id}/plot.svg", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_learned_unit_is_listed_with_its_cost_and_fit_and_its_coefficients_are_not_formula_parameters()
    {
        var a = await Server.GetJsonAsync($"/api/activations/{Fingerprint.Of(ExprParser.Parse(CatalogServer.Learned))}");
        Assert.Equal(["beta"], a.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));
        var unit = Assert.Single(a.GetProperty("learnedUnits").EnumerateArray());
        Assert.Equal("rational0", unit.GetProperty("name").GetString());
        Assert.Equal("rational{3,2,init=gelu}", unit.GetProperty("spec").GetString());
        Assert.Equal(6, unit.GetProperty("parameters").GetInt32());
        Assert.Equal("gelu", unit.GetProperty("init").GetString());
        Assert.InRange(unit.GetProperty("fitError").GetDouble(), 1e-9, 0.02);
        Assert.Equal([-3.0, 3.0], unit.GetProperty("fitInterval").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Contains("self.rational0 = nn.Parameter(torch.tensor([", a.GetProperty("exports").GetProperty("pytorch").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await Server.GetJsonAsync($"/api/activations/{CatalogServer.Id(3)}")).GetProperty("learnedUnits").GetArrayLength());
    }

    [Fact]
    public async Task An_activation_shows_what_a_surrogate_sees_the_probe_features_and_its_kept_fisher_spectra()
    {
        var a = await Server.GetJsonAsync($"/api/activations/{CatalogServer.Id(3)}");
        var f = a.GetProperty("features");
        var points = f.GetProperty("probePoints").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(ProbeFeatures.Points, points);
        var genome = ExprParser.Parse(CatalogServer.Formula(3));
        double[] shown = [.. f.GetProperty("probeValues").EnumerateArray().Select(v => v.GetDouble()),
            .. f.GetProperty("probeSlopes").EnumerateArray().Select(v => v.GetDouble())];
        Assert.Equal(ProbeFeatures.Of(genome), shown);
        var fisher = Assert.Single(f.GetProperty("kept").EnumerateArray());
        Assert.Equal(("fisher", "fmnist-cnn", 1), (fisher.GetProperty("kind").GetString(), fisher.GetProperty("task").GetString(), fisher.GetProperty("version").GetInt32()));
        Assert.Equal(CatalogServer.Spectrum, fisher.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(0.064, fisher.GetProperty("seconds").GetDouble());

        Assert.Empty((await Server.GetJsonAsync($"/api/activations/{CatalogServer.Id(4)}")).GetProperty("features").GetProperty("kept").EnumerateArray());
        var layer = (await Server.GetJsonAsync($"/api/activations/{Fingerprint.Of(ExprParser.Parse(CatalogServer.Layer))}")).GetProperty("features");
        Assert.Equal(JsonValueKind.Null, layer.GetProperty("probePoints").ValueKind);
        Assert.Equal(ProbeFeatures.LayerLength, layer.GetProperty("probeValues").GetArrayLength());
    }

    [Fact]
    public async Task The_plot_is_an_svg_image()
    {
        using var response = await Server.Client.GetAsync($"/api/activations/{CatalogServer.Id(3)}/plot.svg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<svg", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_ids_are_404_and_unknown_formats_400()
    {
        await Server.GetJsonAsync("/api/activations/0123456789abcdef", HttpStatusCode.NotFound);
        await Server.GetJsonAsync("/api/activations/not-hex", HttpStatusCode.NotFound);
        await Server.GetJsonAsync("/api/activations/0123456789abcdef/export?format=pytorch", HttpStatusCode.NotFound);
        await Server.GetJsonAsync("/api/activations/0123456789abcdef/plot.svg", HttpStatusCode.NotFound);
        var problem = await Server.GetJsonAsync($"/api/activations/{CatalogServer.Id(1)}/export?format=cobol", HttpStatusCode.BadRequest);
        Assert.Contains("cobol", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
