using System.Globalization;
using System.Text;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evaluation.Torch.HeldOut;
using ActSearch.Expressions;

namespace ActSearch.Cli.Report;

/// <summary>
/// Renders a <see cref="JobReport"/> as one self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched)
/// or as Markdown. Every text that comes from the job (name, formulas, errors) is escaped.
/// </summary>
public static class ReportRenderer
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // ---------------------------------------------------------------- HTML

    public static string Html(JobReport r)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
          .Append("<title>ActSearch report: ").Append(E(r.Job.Name)).Append("</title>\n<style>")
          .Append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
          .Append("table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}")
          .Append("th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:90%}")
          .Append(".verdict{padding:.6em 1em;border-left:4px solid #888;background:#f7f7f7;margin:.4em 0}")
          .Append(".good{border-color:#2a7}.bad{border-color:#c33}.meh{border-color:#d90}.curves{display:flex;flex-wrap:wrap;gap:1em}")
          .Append("figure{margin:0}figcaption{font-size:90%;max-width:480px;overflow-wrap:anywhere}")
          .Append("</style></head><body>\n");

        sb.Append("<h1>ActSearch report: ").Append(E(r.Job.Name)).Append("</h1>\n<table>");
        foreach (var (k, v) in Facts(r)) sb.Append("<tr><th>").Append(E(k)).Append("</th><td>").Append(E(v)).Append("</td></tr>");
        sb.Append("</table>\n");

        sb.Append("<h2 id=\"verdict\">Verdict on held-out tasks</h2>\n");
        foreach (var (cls, line) in Verdicts(r)) sb.Append("<p class=\"verdict ").Append(cls).Append("\">").Append(E(line)).Append("</p>\n");

        sb.Append("<h2 id=\"front\">Front</h2>\n");
        if (r.Evaluated.Count == 0) sb.Append("<p>No candidate was trained, so there is no front.</p>\n");
        else
        {
            var (xi, xLabel) = FrontX(r);
            sb.Append("<p>Every trained candidate (grey) and the final non-dominated front (blue); the best by ")
              .Append(E(r.PrimaryName)).Append(" are labelled.</p>\n");
            sb.Append(FrontSvg(r, xi, xLabel)).Append('\n');
        }

        sb.Append("<h2 id=\"best\">Best functions</h2>\n");
        if (r.Top.Count == 0) sb.Append("<p>None.</p>\n");
        else
        {
            sb.Append("<table><tr><th>candidate</th><th>generation</th><th>formula</th>");
            foreach (var o in r.Objectives) sb.Append("<th>").Append(E(o)).Append("</th>");
            sb.Append("</tr>");
            foreach (var c in r.Top)
            {
                sb.Append("<tr><td>").Append(E(c.Name)).Append("</td><td class=\"n\">").Append(c.Generation.ToString(Inv))
                  .Append("</td><td><code>").Append(E(c.Formula)).Append("</code></td>");
                foreach (double v in c.Objectives) sb.Append("<td class=\"n\">").Append(E(Num(v))).Append("</td>");
                sb.Append("</tr>");
            }
            sb.Append("</table>\n<div class=\"curves\">");
            foreach (var c in r.Top)
            {
                sb.Append("<figure>");
                if (c.Genome.HasAggregates())
                    sb.Append("<p>(a normalization-activation layer: it depends on batch, instance or group statistics, so it has no curve f(x))</p>");
                else sb.Append(SvgPlot.Curve(c.Genome));
                sb.Append("<figcaption>").Append(E(c.Name)).Append(": <code>").Append(E(c.Formula)).Append("</code>")
                  .Append(c.Genome.HasAggregates() ? "" : " — f (solid) and f′ (dashed) on [−5, 5]").Append("</figcaption></figure>");
            }
            sb.Append("</div>\n");
        }

        sb.Append("<h2 id=\"funnel\">Rejection funnel</h2>\n");
        sb.Append("<p>").Append(E(FunnelSummary(r))).Append("</p>\n");
        sb.Append("<table><tr><th>stage</th><th>removed</th><th>share of proposed</th><th>seconds spent on them</th><th>seconds saved (estimate)</th></tr>");
        foreach (var row in FunnelRows(r))
            sb.Append("<tr class=\"stage\"><td>").Append(E(row[0])).Append("</td><td class=\"n\">").Append(E(row[1])).Append("</td><td class=\"n\">")
              .Append(E(row[2])).Append("</td><td class=\"n\">").Append(E(row[3])).Append("</td><td class=\"n\">").Append(E(row[4])).Append("</td></tr>");
        sb.Append("</table>\n").Append(FunnelSvg(r)).Append('\n');
        if (r.Rungs.Count > 0)
        {
            sb.Append("<h2 id=\"rungs\">Fidelity rungs</h2>\n<p>").Append(E(RungsSummary)).Append("</p>\n<table><tr>");
            foreach (string head in RungHeads) sb.Append("<th>").Append(E(head)).Append("</th>");
            sb.Append("</tr>");
            foreach (var row in RungRows(r))
            {
                sb.Append("<tr class=\"rung\">");
                for (int i = 0; i < row.Length; i++) sb.Append(i == 1 ? "<td>" : "<td class=\"n\">").Append(E(row[i])).Append("</td>");
                sb.Append("</tr>");
            }
            sb.Append("</table>\n");
        }

        sb.Append("<h2 id=\"history\">Generation history</h2>\n");
        if (r.History.Count == 0) sb.Append("<p>No front was stored per generation.</p>\n");
        else
        {
            sb.Append("<p>Best ").Append(E(r.PrimaryName)).Append(" on the front after each generation (line), and the front's size (bars).</p>\n")
              .Append(HistorySvg(r)).Append('\n');
        }

        sb.Append("<h2 id=\"heldout\">Held-out evaluation</h2>\n");
        foreach (string note in r.HeldOutNotes) sb.Append("<p class=\"verdict meh\">").Append(E(note)).Append("</p>\n");
        if (r.HeldOut is { } h)
        {
            sb.Append("<p>").Append(E(HeldOutIntro(r, h))).Append("</p>\n");
            if (h.Transfer.Count > 0)
            {
                sb.Append("<h3 id=\"transfer\">Transfer across held-out tasks</h3>\n<table class=\"heldout\"><tr>");
                foreach (string head in TransferHeads) sb.Append("<th>").Append(E(head)).Append("</th>");
                sb.Append("</tr>");
                foreach (var row in TransferRows(h))
                    sb.Append("<tr>").Append(string.Concat(row.Select((v, i) => (i is 1 or 2 or 3 ? "<td class=\"n\">" : "<td>") + E(v) + "</td>"))).Append("</tr>");
                sb.Append("</table>\n");
            }
            foreach (var t in h.Tasks)
            {
                sb.Append("<h3>").Append(E(t.Task)).Append("</h3>\n<table class=\"heldout\"><tr><th>function</th><th>kind</th><th>")
                  .Append(t.Metric == TaskMetric.Accuracy ? "accuracy (mean ± std)" : "loss (mean ± std)")
                  .Append("</th><th>95% CI of the mean</th><th>seeds</th><th>rate</th><th>vs best baseline</th><th>t</th><th>df</th><th>p (two-sided)</th><th>verdict</th><th>params</th><th>flops</th><th>formula</th></tr>");
                foreach (var row in HeldOutRows(t))
                {
                    sb.Append("<tr>");
                    for (int i = 0; i < row.Length; i++)
                        sb.Append(i is >= 2 and <= 9 or 11 or 12 ? "<td class=\"n\">" : "<td>").Append(i == 13 ? "<code>" + E(row[i]) + "</code>" : E(row[i])).Append("</td>");
                    sb.Append("</tr>");
                }
                sb.Append("</table>\n");
            }
        }
        sb.Append("<p><small>Generated by actsearch report at ").Append(E(r.GeneratedAt.ToString("u", Inv)))
          .Append(". Welch's t-test, two-sided, against the baseline with the best mean on each task.</small></p>\n</body></html>\n");
        return sb.ToString();
    }

    // ---------------------------------------------------------------- Markdown

    public static string Markdown(JobReport r)
    {
        var sb = new StringBuilder();
        sb.Append("# ActSearch report: ").Append(M(r.Job.Name)).Append("\n\n");
        sb.Append(MdTable(["", ""], Facts(r).Select(f => new[] { f.Key, f.Value }))).Append('\n');

        sb.Append("## Verdict on held-out tasks\n\n");
        foreach (var (_, line) in Verdicts(r)) sb.Append("- ").Append(M(line)).Append('\n');
        sb.Append('\n');

        sb.Append("## Front\n\n");
        var front = r.Evaluated.Where(c => c.OnFront).ToList();
        if (front.Count == 0) sb.Append("No front.\n\n");
        else sb.Append(MdTable(["candidate", "generation", .. r.Objectives, "formula"],
            front.OrderByDescending(c => Goodness(r, c)).Select(c => (string[])[c.Name, c.Generation.ToString(Inv), .. c.Objectives.Select(Num), Code(c.Formula)]))).Append('\n');

        sb.Append("## Best functions\n\n");
        if (r.Top.Count == 0) sb.Append("None.\n\n");
        else sb.Append(MdTable(["candidate", "generation", .. r.Objectives, "formula"],
            r.Top.Select(c => (string[])[c.Name, c.Generation.ToString(Inv), .. c.Objectives.Select(Num), Code(c.Formula)]))).Append('\n');
        if (r.Top.Count > 0) sb.Append("(Curves f(x): see the HTML report, `--format html`.)\n\n");

        sb.Append("## Rejection funnel\n\n").Append(M(FunnelSummary(r))).Append("\n\n");
        sb.Append(MdTable(["stage", "removed", "share of proposed", "seconds spent on them", "seconds saved (estimate)"], FunnelRows(r))).Append('\n');
        if (r.Rungs.Count > 0) sb.Append("## Fidelity rungs\n\n").Append(M(RungsSummary)).Append("\n\n").Append(MdTable(RungHeads, RungRows(r))).Append('\n');

        sb.Append("## Generation history\n\n");
        if (r.History.Count == 0) sb.Append("No front was stored per generation.\n\n");
        else sb.Append(MdTable(["generation", "front size", $"best {r.PrimaryName}"],
            r.History.Select(g => new[] { g.Generation.ToString(Inv), g.FrontSize.ToString(Inv), Num(g.Best) }))).Append('\n');

        sb.Append("## Held-out evaluation\n\n");
        foreach (string note in r.HeldOutNotes) sb.Append("> ").Append(M(note)).Append("\n\n");
        if (r.HeldOut is { } h)
        {
            sb.Append(M(HeldOutIntro(r, h))).Append("\n\n");
            AppendHeldOutTables(sb, h);
        }
        sb.Append("Generated by `actsearch report` at ").Append(r.GeneratedAt.ToString("u", Inv))
          .Append(". Welch's t-test, two-sided, against the baseline with the best mean on each task.\n");
        return sb.ToString();
    }

    /// <summary>The held-out tables in Markdown: the transfer table, then one table per task.</summary>
    internal static void AppendHeldOutTables(StringBuilder sb, HeldOutResult h)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(h);
        if (h.Transfer.Count > 0) sb.Append("### Transfer across held-out tasks\n\n").Append(MdTable(TransferHeads, TransferRows(h))).Append('\n');
        foreach (var t in h.Tasks)
        {
            sb.Append("### ").Append(M(t.Task)).Append("\n\n");
            sb.Append(MdTable(["function", "kind", t.Metric == TaskMetric.Accuracy ? "accuracy (mean ± std)" : "loss (mean ± std)", "95% CI of the mean", "seeds",
                "rate", "vs best baseline", "t", "df", "p (two-sided)", "verdict", "params", "flops", "formula"],
                HeldOutRows(t).Select(row => (string[])[.. row[..13], Code(row[13])]))).Append('\n');
        }
    }

    // ---------------------------------------------------------------- shared content

    private static IEnumerable<KeyValuePair<string, string>> Facts(JobReport r)
    {
        var j = r.Job;
        yield return new("job", j.Id.ToString());
        yield return new("space", $"{j.SpaceName} ({(r.IsLayer ? "normalization-activation layers" : "activation functions")})");
        yield return new("status", j.Status.ToString().ToLowerInvariant() + (j.Error is { } e ? $": {e}" : ""));
        yield return new("seed", j.Seed.ToString(Inv));
        yield return new("search tasks", r.SearchTasks.Count == 0 ? "-" : string.Join(", ", r.SearchTasks));
        yield return new("objectives", string.Join(", ", r.Objectives.Select((o, i) => $"{o} ({(r.Maximize(i) ? "max" : "min")})")));
        yield return new("candidates", string.Create(Inv, $"{r.Proposed} proposed, {r.EvaluatedCount} trained, {r.CacheHits} answered from the fingerprint cache, {r.Failed} failed, {r.Cancelled} cancelled"));
        yield return new("created", j.CreatedAt.ToString("u", Inv) + (j.FinishedAt is { } f ? $", finished {f.ToString("u", Inv)}" : ""));
    }

    /// <summary>The plain-language verdicts: one line per held-out task about the best found function, or why there are none.</summary>
    private static IEnumerable<(string Class, string Line)> Verdicts(JobReport r)
    {
        if (r.HeldOut is not { } h || h.Tasks.Count == 0)
        {
            yield return ("meh", r.HeldOutNotes.Count > 0 ? r.HeldOutNotes[0] : "No held-out evaluation was run (--no-heldout): nothing is claimed about tasks the search did not see.");
            yield break;
        }
        foreach (string note in r.HeldOutNotes) yield return ("meh", note);
        foreach (var t in h.Tasks)
        {
            if (t.Best is not { } best) continue;
            string cls = best.Verdict switch
            {
                HeldOutVerdict.SignificantlyBetter => "good",
                HeldOutVerdict.SignificantlyWorse or HeldOutVerdict.WorseNotSignificant => "bad",
                _ => "meh",
            };
            string seed = r.Top.FirstOrDefault(c => c.Name == best.Candidate) is { IsSeed: true }
                ? " It is one of the space's seeds: the search started from it, it did not find it."
                : "";
            yield return (cls, $"{t.Task}: {HeldOutEvaluation.Describe(best, h.Alpha)} Difference of means: {Diff(best.Difference, t.Metric)}.{seed}");
        }
        if (h.Tasks.Count > 1)
            foreach (var row in h.Transfer)
                yield return (row.ClearsTheBar ? "good" : row.Losses > 0 ? "bad" : "meh", "Across tasks: " + row.Verdict);
    }

    private static readonly string[] TransferHeads = ["function", "wins", "ties", "losses", "verdict"];

    /// <summary>Wins / ties / losses of each found function against each task's best baseline, and whether it clears the bar.</summary>
    private static IEnumerable<string[]> TransferRows(HeldOutResult h) =>
        h.Transfer.Select(t => new[]
        {
            t.Candidate, t.Wins.ToString(Inv), t.Ties.ToString(Inv), t.Losses.ToString(Inv),
            t.ClearsTheBar ? "transfers" : t.Losses > 0 ? "does not transfer" : $"below the bar ({TransferRow.WinsNeeded} wins, no loss)",
        });

    /// <summary>The evidence protocol's rate factors of the report's tasks: "1/3, 1 and 3", then any task with its own grid.</summary>
    private static string RateGrids(HeldOutResult h)
    {
        static string Factor(double f) => f >= 1 ? f.ToString("G3", Inv) : "1/" + (1 / f).ToString("G3", Inv);
        static string Text(IReadOnlyList<double> fs) =>
            fs.Count == 1 ? Factor(fs[0]) : string.Join(", ", fs.Order().Take(fs.Count - 1).Select(Factor)) + " and " + Factor(fs.Max());
        var own = h.Tasks
            .Select(t => (t.Task, Factors: TaskCatalog.Get(t.Task).RateFactors))
            .Where(t => !t.Factors.SequenceEqual(ProxyTaskSpec.DefaultRateFactors))
            .Select(t => $"{Text(t.Factors)} on {t.Task}")
            .ToList();
        return Text(ProxyTaskSpec.DefaultRateFactors) + (own.Count == 0 ? "" : $" ({string.Join("; ", own)})");
    }

    private static string HeldOutIntro(JobReport r, HeldOutResult h)
    {
        string runs = string.Create(Inv,
            $"The {r.Top.Count} best distinct function(s) by {r.PrimaryName} and {(h.Protocol == HeldOutProtocol.Evidence ? "every baseline of the kind" : "the standard baselines")}, re-trained with seeds {h.SeedRange} " +
            $"on {h.Device}{(h.Steps is { } s ? $" for {s} steps each" : "")}. ");
        string rates = h.Protocol == HeldOutProtocol.Evidence
            ? string.Create(Inv, $"Evidence protocol: each function first chose its learning rate per task among the task's rate x {RateGrids(h)}, by its mean score over ") +
              string.Create(Inv, $"seeds 1..{HeldOutEvaluation.ValidationSeeds} on a validation split (10% of the training data; the held-out data unseen), and trained its held-out seeds at that rate (the 'rate' column). ")
            : "Every function trained at each task's own learning rate (standard protocol; --protocol evidence tunes it per function). ";
        return runs + rates + string.Create(Inv,
            $"Each found function is compared with the best baseline on the task (Welch's t-test, two-sided; significant when p < {h.Alpha}). Rows are ordered best first.");
    }

    private static IEnumerable<string[]> HeldOutRows(HeldOutTaskResult t)
    {
        foreach (var row in t.Rows)
        {
            var c = t.Comparisons.FirstOrDefault(x => x.Candidate == row.Name);
            yield return
            [
                row.Name,
                row.IsBaseline ? (row.Name == t.BestBaseline ? "baseline (best)" : "baseline") : "found",
                MeanStd(row.Summary),
                Interval95(row.Summary),
                row.Summary.Seeds.ToString(Inv),
                row.LearningRate is { } rate ? rate.ToString("G3", Inv) : "default",
                c is null ? "" : Diff(c.Difference, t.Metric),
                c is null || !double.IsFinite(c.Test.T) ? "" : c.Test.T.ToString("0.00", Inv),
                c is null || !double.IsFinite(c.Test.DegreesOfFreedom) ? "" : c.Test.DegreesOfFreedom.ToString("0.0", Inv),
                c is null ? "" : HeldOutEvaluation.P(c.Test.PValue),
                c is null ? "" : VerdictText(c.Verdict),
                row.Parameters is { } n ? n.ToString(Inv) : "",
                row.Flops is { } f ? f.ToString("0.#", Inv) : "",
                row.Formula,
            ];
        }
    }

    internal static string VerdictText(HeldOutVerdict v) => v switch
    {
        HeldOutVerdict.SignificantlyBetter => "significantly better",
        HeldOutVerdict.BetterNotSignificant => "not significantly better",
        HeldOutVerdict.NoDifference => "no difference",
        HeldOutVerdict.WorseNotSignificant => "worse (not significant)",
        HeldOutVerdict.SignificantlyWorse => "significantly worse",
        _ => "no test",
    };

    private static string FunnelSummary(JobReport r)
    {
        long removed = r.Funnel.Sum(s => s.Removed);
        double spent = r.Funnel.Sum(s => s.Seconds);
        double saved = r.Funnel.Where(s => s.Stage != "trained").Sum(r.Saved);
        string tail = double.IsFinite(saved)
            ? string.Create(Inv, $"; training the removed ones as well would have cost about {saved:0.0} s more ({r.SecondsPerTrained:0.00} s per trained candidate).")
            : ".";
        return string.Create(Inv,
            $"{r.Proposed} candidates proposed; the rejection chain removed {removed} ({Share(removed, r.Proposed)}) before full training " +
            $"({r.CacheHits} of them as known functions: the duplicate stage copied the outcome of an earlier candidate with the same fingerprint), " +
            $"then {r.EvaluatedCount} trained, {r.Failed} failed, {r.Cancelled} cancelled. Workers spent {spent:0.0} s in all") + tail;
    }

    private const string RungsSummary =
        "Every candidate is trained at the lowest rung first; the top 1/eta of a rung so far is promoted and trained again at the next. The front and the best functions are of the highest rung reached.";

    private static readonly string[] RungHeads = ["rung", "training", "scored", "evaluated", "promoted to the next", "seconds"];

    private static IEnumerable<string[]> RungRows(JobReport r) => r.Rungs.Select(g => new[]
    {
        g.Rung.ToString(Inv), g.Training ?? "", g.Scored.ToString(Inv), g.Evaluated.ToString(Inv),
        g.Rung == r.Rungs.Count - 1 ? "" : g.Promoted.ToString(Inv), g.Seconds is { } s ? s.ToString("0.0", Inv) : "",
    });

    private static IEnumerable<string[]> FunnelRows(JobReport r) => r.Funnel.Select(s => new[]
    {
        s.Stage,
        s.Stage == "trained" ? r.EvaluatedCount.ToString(Inv) + " trained" : s.Removed.ToString(Inv),
        s.Stage == "trained" ? Share(r.EvaluatedCount, r.Proposed) : Share(s.Removed, r.Proposed),
        s.Seconds.ToString("0.000", Inv),
        s.Stage == "trained" || !double.IsFinite(r.Saved(s)) ? "-" : r.Saved(s).ToString("0.0", Inv),
    });

    // ---------------------------------------------------------------- SVG plots

    private const int W = 640, H = 360, Margin = 48;

    private static (int Index, string Label) FrontX(JobReport r)
    {
        for (int i = 0; i < r.Objectives.Count; i++)
            if (i != r.Primary) return (i, r.Objectives[i]);
        return (-1, "candidate id");
    }

    private static string FrontSvg(JobReport r, int xi, string xLabel)
    {
        double X(ReportCandidate c) => xi < 0 ? c.Id : c.Objectives[xi];
        double Y(ReportCandidate c) => c.Objectives[r.Primary];
        var points = r.Evaluated.Where(c => double.IsFinite(X(c)) && double.IsFinite(Y(c))).ToList();
        var sb = Open($"front: {r.PrimaryName} against {xLabel}");
        if (points.Count == 0) return sb.Append("<text x=\"60\" y=\"60\">no finite objective values</text></svg>").ToString();
        var (sx, sy) = Axes(sb, points.Select(X), points.Select(Y), xLabel, r.PrimaryName);
        foreach (var c in points.Where(c => !c.OnFront))
            sb.Append(Inv, $"<circle cx=\"{F(sx(X(c)))}\" cy=\"{F(sy(Y(c)))}\" r=\"3\" fill=\"#bbb\"><title>{E(c.Name)}: {E(c.Formula)}</title></circle>");
        var front = points.Where(c => c.OnFront).OrderBy(X).ToList();
        if (front.Count > 1)
            sb.Append("<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"1\" stroke-dasharray=\"4 3\" points=\"")
              .AppendJoin(' ', front.Select(c => $"{F(sx(X(c)))},{F(sy(Y(c)))}")).Append("\"/>");
        foreach (var c in front)
            sb.Append(Inv, $"<circle class=\"front\" cx=\"{F(sx(X(c)))}\" cy=\"{F(sy(Y(c)))}\" r=\"4.5\" fill=\"#36c\"><title>{E(c.Name)}: {E(c.Formula)}</title></circle>");
        foreach (var c in r.Top.Where(points.Contains))
            sb.Append(Inv, $"<text x=\"{F(sx(X(c)) + 6)}\" y=\"{F(sy(Y(c)) - 6)}\" font-size=\"11\" fill=\"#124\">{E(c.Name)}</text>");
        return sb.Append("</svg>").ToString();
    }

    private static string FunnelSvg(JobReport r)
    {
        var stages = r.Funnel.Where(s => s.Stage != "trained").ToList();
        int rowH = 22, height = 30 + rowH * (stages.Count + 1);
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\"><title>rejection funnel</title>");
        sb.Append("<g font-family=\"sans-serif\" font-size=\"12\">");
        long remaining = r.Proposed;
        double full = Math.Max(1, r.Proposed), barW = W - 260;
        int y = 10;
        foreach (var s in stages)
        {
            double w = barW * remaining / full, cut = barW * s.Removed / full;
            sb.Append(Inv, $"<text x=\"0\" y=\"{y + 15}\">{E(s.Stage)}</text>");
            sb.Append(Inv, $"<rect x=\"90\" y=\"{y}\" width=\"{F(w)}\" height=\"{rowH - 4}\" fill=\"#9bd\"/>");
            sb.Append(Inv, $"<rect x=\"{F(90 + w - cut)}\" y=\"{y}\" width=\"{F(cut)}\" height=\"{rowH - 4}\" fill=\"#d66\"/>");
            sb.Append(Inv, $"<text x=\"{F(100 + barW)}\" y=\"{y + 15}\">{remaining} in, {s.Removed} removed ({E(Share(s.Removed, r.Proposed))}), {s.Seconds:0.0} s</text>");
            remaining -= s.Removed;
            y += rowH;
        }
        sb.Append(Inv, $"<text x=\"0\" y=\"{y + 15}\">trained</text><rect x=\"90\" y=\"{y}\" width=\"{F(barW * r.EvaluatedCount / full)}\" height=\"{rowH - 4}\" fill=\"#3a7\"/>");
        sb.Append(Inv, $"<text x=\"{F(100 + barW)}\" y=\"{y + 15}\">{r.EvaluatedCount} trained, {r.Funnel[^1].Seconds:0.0} s</text>");
        return sb.Append("</g></svg>").ToString();
    }

    private static string HistorySvg(JobReport r)
    {
        var sb = Open("generation history");
        var finite = r.History.Where(g => double.IsFinite(g.Best)).ToList();
        var (sx, sy) = Axes(sb, r.History.Select(g => (double)g.Generation), finite.Count > 0 ? finite.Select(g => g.Best) : [0.0, 1.0], "generation", $"best {r.PrimaryName}");
        int maxSize = Math.Max(1, r.History.Max(g => g.FrontSize));
        double barW = Math.Clamp((W - 2 * Margin) / (double)Math.Max(1, r.History.Count) * 0.5, 2, 24);
        foreach (var g in r.History)
        {
            double h = (H - 2 * Margin) * 0.3 * g.FrontSize / maxSize;
            sb.Append(Inv, $"<rect x=\"{F(sx(g.Generation) - barW / 2)}\" y=\"{F(H - Margin - h)}\" width=\"{F(barW)}\" height=\"{F(h)}\" fill=\"#ddd\"><title>generation {g.Generation}: front of {g.FrontSize}</title></rect>");
        }
        if (finite.Count > 0)
        {
            sb.Append("<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"2\" points=\"")
              .AppendJoin(' ', finite.Select(g => $"{F(sx(g.Generation))},{F(sy(g.Best))}")).Append("\"/>");
            foreach (var g in finite)
                sb.Append(Inv, $"<circle cx=\"{F(sx(g.Generation))}\" cy=\"{F(sy(g.Best))}\" r=\"3\" fill=\"#36c\"><title>generation {g.Generation}: {E(Num(g.Best))}</title></circle>");
        }
        return sb.Append("</svg>").ToString();
    }

    private static StringBuilder Open(string title) => new StringBuilder()
        .Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\"><title>{E(title)}</title>")
        .Append(Inv, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");

    /// <summary>Draws the frame, ticks and labels; returns the data-to-pixel maps.</summary>
    private static (Func<double, double> X, Func<double, double> Y) Axes(StringBuilder sb, IEnumerable<double> xs, IEnumerable<double> ys, string xLabel, string yLabel)
    {
        var (x0, x1) = Range(xs);
        var (y0, y1) = Range(ys);
        double Sx(double v) => Margin + (v - x0) / (x1 - x0) * (W - 2 * Margin);
        double Sy(double v) => H - Margin - (v - y0) / (y1 - y0) * (H - 2 * Margin);
        sb.Append(Inv, $"<g stroke=\"#999\"><line x1=\"{Margin}\" y1=\"{H - Margin}\" x2=\"{W - Margin}\" y2=\"{H - Margin}\"/><line x1=\"{Margin}\" y1=\"{Margin}\" x2=\"{Margin}\" y2=\"{H - Margin}\"/></g>");
        sb.Append("<g font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">");
        for (int i = 0; i <= 4; i++)
        {
            double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
            sb.Append(Inv, $"<text x=\"{F(Sx(xv))}\" y=\"{H - Margin + 14}\" text-anchor=\"middle\">{E(Tick(xv))}</text>");
            sb.Append(Inv, $"<text x=\"{Margin - 4}\" y=\"{F(Sy(yv) + 4)}\" text-anchor=\"end\">{E(Tick(yv))}</text>");
        }
        sb.Append(Inv, $"<text x=\"{W / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">{E(xLabel)}</text>");
        sb.Append(Inv, $"<text x=\"12\" y=\"{H / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {H / 2})\">{E(yLabel)}</text></g>");
        return (Sx, Sy);
    }

    private static (double Lo, double Hi) Range(IEnumerable<double> values)
    {
        var list = values.Where(double.IsFinite).ToList();
        if (list.Count == 0) return (0, 1);
        double lo = list.Min(), hi = list.Max();
        if (hi - lo < 1e-12) (lo, hi) = (lo - 0.5, hi + 0.5);
        double pad = (hi - lo) * 0.06;
        return (lo - pad, hi + pad);
    }

    // ---------------------------------------------------------------- formatting

    private static double Goodness(JobReport r, ReportCandidate c) =>
        double.IsNaN(c.Objectives[r.Primary]) ? double.NegativeInfinity : r.Maximize(r.Primary) ? c.Objectives[r.Primary] : -c.Objectives[r.Primary];

    internal static string MeanStd(TaskSummary t) => !double.IsFinite(t.Mean) ? "diverged"
        : t.Metric == TaskMetric.Accuracy ? string.Create(Inv, $"{t.Mean * 100:0.00} ± {t.Std * 100:0.00}%") : string.Create(Inv, $"{t.Mean:G4} ± {t.Std:G3}");

    /// <summary>mean ± t(0.975, n - 1) std / sqrt(n), in the metric's units; empty with fewer than 2 seeds.</summary>
    internal static string Interval95(TaskSummary t)
    {
        double h = WelchTest.HalfWidth95(t.Std, t.Seeds);
        if (!double.IsFinite(t.Mean) || !double.IsFinite(h)) return "";
        return t.Metric == TaskMetric.Accuracy ? string.Create(Inv, $"± {h * 100:0.00}%") : string.Create(Inv, $"± {h:G3}");
    }

    internal static string Diff(double d, TaskMetric metric) => !double.IsFinite(d) ? "n/a"
        : metric == TaskMetric.Accuracy ? string.Create(Inv, $"{d * 100:+0.00;-0.00;0.00} points") : string.Create(Inv, $"{-d:+0.####;-0.####;0} loss");

    private static string Share(long part, long whole) => whole == 0 ? "-" : string.Create(Inv, $"{100.0 * part / whole:0.0}%");

    private static string Num(double v) => double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "+Inf" : "-Inf") : v.ToString("G5", Inv);

    private static string Tick(double v) => Math.Abs(v) >= 1000 || (Math.Abs(v) < 0.01 && v != 0) ? v.ToString("0.##E0", Inv) : v.ToString("0.###", Inv);

    private static string F(double v) => v.ToString("0.##", Inv);

    /// <summary>Escapes the five characters that matter in HTML text and attributes; other characters stay as UTF-8.</summary>
    private static string E(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
            sb.Append(c switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", '\'' => "&#39;", _ => c.ToString() });
        return sb.ToString();
    }

    /// <summary>Markdown text: HTML-escaped (renderers pass raw HTML through) and table pipes escaped.</summary>
    internal static string M(string text) => E(text).Replace("|", "\\|", StringComparison.Ordinal);

    // Cells already rendered as Markdown start with this mark (never in user text: it is a control character, stripped).
    private const char Rendered = '\u0001';

    internal static string Code(string formula) => Rendered + "`" + formula.Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal) + "`";

    internal static string MdTable(IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", header.Select(M)).Append(" |\n|").AppendJoin("|", header.Select(_ => "---")).Append("|\n");
        foreach (var row in rows)
            sb.Append("| ").AppendJoin(" | ", row.Select(c => c.StartsWith(Rendered) ? c[1..] : M(c.Replace(Rendered, ' ')))).Append(" |\n");
        return sb.ToString();
    }
}
