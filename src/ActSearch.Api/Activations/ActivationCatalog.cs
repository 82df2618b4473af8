using System.Collections.Concurrent;
using System.Globalization;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.Storage;

namespace ActSearch.Api;

/// <summary>What a listing of the catalog asks (query parameters of <c>GET /api/activations</c>).</summary>
public sealed record ActivationQuery(string Sort = "score", string? Objective = null, string? Task = null, string? Text = null, int Page = 1, int PageSize = 50);

/// <summary>
/// The activation catalog for the API: listings sorted by score or recency, one function in full, its exports and
/// plot. A function's formula is parsed once and its curve sampled once (kept by fingerprint); the catalog's
/// objectives and tasks (what "sort by score" defaults to) are read again at most every few seconds.
/// </summary>
public sealed class ActivationCatalog(BrowseQueries browse)
{
    public const string DefaultObjective = "accuracy";
    public const double From = -5, To = 5;
    public const int SummaryPoints = 41, DetailPoints = 201;

    private static readonly TimeSpan RankingsAge = TimeSpan.FromSeconds(5);
    private const int Kept = 50_000;

    private readonly ConcurrentDictionary<ulong, Function> _functions = new();
    private (DateTime At, List<CatalogRanking> Rankings)? _rankings;
    private readonly ConcurrentDictionary<(CatalogOrder, string, string), (DateTime At, long Total)> _totals = new();

    /// <summary>A parsed catalog formula with its LaTeX and its summary curve (null for layers).</summary>
    private sealed record Function(string Formula, Expr Expr, string Latex, bool IsLayer, double[][]? Curve);

    /// <exception cref="ArgumentException">A parameter is out of range (the message names it).</exception>
    public async Task<Paged<ActivationSummary>> ListAsync(ActivationQuery q, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(q);
        CatalogOrder order;
        string? taskFilter = q.Task is { Length: > 0 } t ? t : null;
        switch (q.Sort)
        {
            case "recent":
                order = new CatalogOrder.Recent();
                break;
            case "score":
                var rankings = await RankingsAsync(cancellation);
                var candidates = rankings.Where(r => taskFilter is null || r.Task == taskFilter).ToList();
                string objective = q.Objective is { Length: > 0 } o ? o
                    : candidates.Any(r => r.Objective == DefaultObjective) ? DefaultObjective
                    : candidates.OrderByDescending(r => r.Task is not null).ThenByDescending(r => r.Count).ThenBy(r => r.Objective, StringComparer.Ordinal)
                        .Select(r => r.Objective).FirstOrDefault() ?? DefaultObjective;
                var ranking = candidates.Where(r => r.Objective == objective)
                    .OrderByDescending(r => r.Count).ThenBy(r => r.Task ?? "", StringComparer.Ordinal).FirstOrDefault();
                if (ranking is null) return new Paged<ActivationSummary>([], 0, q.Page, q.PageSize); // nothing scored that way yet
                order = new CatalogOrder.ByScore(ranking.Objective, ranking.Task, ranking.Goal);
                taskFilter = null; // every function ranked on the task has a score on it
                break;
            default:
                throw new ArgumentException($"sort: '{q.Sort}' is not score or recent.");
        }
        // Counting every match is the costly part of a listing; a total a few seconds old is good enough to page with.
        var key = (order, q.Text ?? "", taskFilter ?? "");
        long? known = _totals.TryGetValue(key, out var counted) && DateTime.UtcNow - counted.At < RankingsAge ? counted.Total : null;
        var page = await browse.SearchCatalogAsync(new CatalogQuery(order, q.Text, taskFilter, q.Page, q.PageSize) { KnownTotal = known }, cancellation);
        if (known is null)
        {
            if (_totals.Count >= 1024) _totals.Clear();
            _totals[key] = (DateTime.UtcNow, page.Total);
        }
        return new Paged<ActivationSummary>([.. page.Items.Select(Summary)], page.Total, page.Page, page.PageSize);
    }

    /// <summary>One function in full, or null when the catalog does not hold it.</summary>
    public async Task<Activation?> GetAsync(Fingerprint id, CancellationToken cancellation)
    {
        if ((await browse.CatalogEntriesAsync([id], cancellation)).FirstOrDefault() is not { } entry) return null;
        var f = Of(entry);
        var sightings = await browse.SightingsAsync(id, cancellation: cancellation);
        var compiled = ActSearch.Expressions.CompiledExpr.Compile(f.Expr);
        double[][]? curve = null, derivative = null;
        if (!f.IsLayer)
        {
            var xs = Grid(DetailPoints);
            var ys = new double[xs.Length];
            var dys = new double[xs.Length];
            compiled.EvaluateWithDerivative(xs, ys, dys);
            curve = Points(xs, ys);
            derivative = Points(xs, dys);
        }
        var exports = Exports.Formats.ToDictionary(x => x.Name, x => Export(f.Expr, x.Format));
        var kept = await browse.FeaturesAsync(id, cancellation);
        return new Activation(
            entry.Fingerprint.ToString(), entry.Formula, f.Latex, entry.TimesSeen, entry.FirstSeen, entry.LastSeen, entry.FirstJob, entry.LatestJob,
            Scores(entry), curve, derivative, f.Expr.NodeCount(), f.Expr.Complexity(), [.. f.Expr.Parameters().Select(p => p.Name)], f.IsLayer,
            [.. sightings.Select(s => new ActivationJob(s.JobId, s.JobName, s.CandidateId))], exports,
            [.. f.Expr.LearnedUnits().Select(u => new LearnedUnitView(u.Name, u.Unit.Spec, u.Unit.Description, u.Unit.ParameterCount, u.Unit.Flops,
                u.Unit.Init, double.IsNaN(u.Unit.FitError) ? null : u.Unit.FitError, [u.Unit.FitInterval.Lo, u.Unit.FitInterval.Hi]))],
            Features(compiled, kept));
    }

    /// <summary>The probe features as the surrogate computes them (<see cref="ProbeFeatures"/>), and the kept vectors.</summary>
    private static FeaturesView Features(CompiledExpr compiled, List<FeatureRecord> kept)
    {
        var probe = ProbeFeatures.Of(compiled);
        var views = kept.Select(k => new KeptFeaturesView(k.Kind, k.Task, k.Version, k.Values, k.Seconds, k.ComputedAt)).ToList();
        if (compiled.HasAggregates) return new FeaturesView(null, probe, null, views);
        int n = ProbeFeatures.Points.Count;
        return new FeaturesView([.. ProbeFeatures.Points], probe[..n], probe[n..], views);
    }

    /// <summary>The function's code in one format, or null when the catalog does not hold it.</summary>
    public async Task<string?> ExportAsync(Fingerprint id, ExportFormat format, CancellationToken cancellation) =>
        (await browse.CatalogEntriesAsync([id], cancellation)).FirstOrDefault() is { } entry ? Export(Of(entry).Expr, format) : null;

    /// <summary>f and f' as an SVG image; null when the catalog does not hold it.</summary>
    /// <exception cref="InvalidOperationException">The function is a layer (it has no scalar curve).</exception>
    public async Task<string?> PlotAsync(Fingerprint id, CancellationToken cancellation)
    {
        if ((await browse.CatalogEntriesAsync([id], cancellation)).FirstOrDefault() is not { } entry) return null;
        var f = Of(entry);
        if (f.IsLayer) throw new InvalidOperationException($"Activation {id} is a layer with tensor statistics; it has no scalar curve to plot.");
        return SvgPlot.Curve(f.Expr, From, To);
    }

    /// <summary>Reads an activation id: 16 hex digits.</summary>
    public static bool TryParseId(string? text, out Fingerprint id)
    {
        id = default;
        if (text is not { Length: 16 } || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)) return false;
        id = new Fingerprint(v);
        return true;
    }

    private static string Export(Expr expr, ExportFormat format)
    {
        try
        {
            return Exports.Render(expr, format);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return $"# no {Exports.FormatName(format)} export: {e.Message}";
        }
    }

    private ActivationSummary Summary(CatalogEntry e)
    {
        var f = Of(e);
        return new ActivationSummary(e.Fingerprint.ToString(), e.Formula, f.Latex, e.TimesSeen, e.FirstSeen, e.LastSeen, e.FirstJob, e.LatestJob, Scores(e), f.Curve);
    }

    private static List<ScoreView> Scores(CatalogEntry e) =>
        [.. e.BestScores.Select(s => new ScoreView(s.Objective, s.Task, s.Best, s.Goal == ScoreGoal.Maximize ? "maximize" : "minimize", s.JobId, s.CandidateId))];

    /// <summary>The parsed function (kept by fingerprint, and parsed again if the catalog's text for it changed).</summary>
    private Function Of(CatalogEntry e)
    {
        if (_functions.TryGetValue(e.Fingerprint.Value, out var known) && known.Formula == e.Formula) return known;
        var expr = ExprParser.Parse(e.Formula);
        var compiled = ActSearch.Expressions.CompiledExpr.Compile(expr);
        double[][]? curve = null;
        if (!compiled.HasAggregates)
        {
            var xs = Grid(SummaryPoints);
            curve = Points(xs, compiled.Evaluate(xs));
        }
        var f = new Function(e.Formula, expr, LatexPrinter.Print(expr), compiled.HasAggregates, curve);
        if (_functions.Count >= Kept) _functions.Clear();
        _functions[e.Fingerprint.Value] = f;
        return f;
    }

    private async Task<List<CatalogRanking>> RankingsAsync(CancellationToken cancellation)
    {
        if (_rankings is { } r && DateTime.UtcNow - r.At < RankingsAge) return r.Rankings;
        var fresh = await browse.RankingsAsync(cancellation);
        _rankings = (DateTime.UtcNow, fresh);
        return fresh;
    }

    private static double[] Grid(int points) => [.. Enumerable.Range(0, points).Select(i => From + (To - From) * i / (points - 1))];

    private static double[][] Points(double[] xs, double[] ys) => [.. xs.Select((x, i) => new[] { x, ys[i] })];
}
