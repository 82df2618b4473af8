using System.Globalization;
using System.Text;

namespace ActSearch.Expressions;

/// <summary>
/// Draws f(x) and f'(x) of an element-wise formula as a self-contained SVG (no scripts, no external
/// resources), for `actsearch expr --plot` and the web UI. Non-finite values break the line.
/// </summary>
public static class SvgPlot
{
    public static string Curve(Expr expr, double from = -5, double to = 5, int width = 480, int height = 320, int points = 401, bool derivative = true)
    {
        var compiled = CompiledExpr.Compile(expr);
        var xs = new double[points];
        for (int i = 0; i < points; i++) xs[i] = from + (to - from) * i / (points - 1);
        var y = new double[points];
        var dy = new double[points];
        compiled.EvaluateWithDerivative(xs, y, dy);

        var finite = y.Concat(derivative ? dy : []).Where(double.IsFinite).ToList();
        double lo = finite.Count > 0 ? Math.Max(finite.Min(), -10) : -1, hi = finite.Count > 0 ? Math.Min(finite.Max(), 10) : 1;
        if (hi - lo < 1e-9) (lo, hi) = (lo - 1, hi + 1);
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;

        const int margin = 36;
        double Sx(double x) => margin + (x - from) / (to - from) * (width - 2 * margin);
        double Sy(double v) => height - margin - (Math.Clamp(v, lo, hi) - lo) / (hi - lo) * (height - 2 * margin);
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\">");
        sb.Append("<title>").Append(System.Security.SecurityElement.Escape(expr.ToString())).Append("</title>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        // Axes through the origin where it is visible, otherwise along the frame.
        double ax = Sx(Math.Clamp(0, from, to)), ay = Sy(Math.Clamp(0, lo, hi));
        sb.Append(CultureInfo.InvariantCulture, $"<g stroke=\"#999\" stroke-width=\"1\"><line x1=\"{margin}\" y1=\"{F(ay)}\" x2=\"{width - margin}\" y2=\"{F(ay)}\"/><line x1=\"{F(ax)}\" y1=\"{margin}\" x2=\"{F(ax)}\" y2=\"{height - margin}\"/></g>");
        sb.Append("<g font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{margin}\" y=\"{height - 10}\">{F(from)}</text><text x=\"{width - margin - 12}\" y=\"{height - 10}\">{F(to)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{F(Sy(hi) + 10)}\">{F(hi)}</text><text x=\"4\" y=\"{F(Sy(lo))}\">{F(lo)}</text></g>");
        Path(sb, xs, y, Sx, Sy, "#1f77b4", "f");
        if (derivative) Path(sb, xs, dy, Sx, Sy, "#ff7f0e", "df", dashed: true);
        sb.Append(CultureInfo.InvariantCulture, $"<g font-family=\"sans-serif\" font-size=\"12\"><text x=\"{width - margin - 60}\" y=\"{margin - 12}\" fill=\"#1f77b4\">f(x)</text>");
        if (derivative) sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - margin - 20}\" y=\"{margin - 12}\" fill=\"#ff7f0e\">f'(x)</text>");
        sb.Append("</g></svg>");
        return sb.ToString();
    }

    private static void Path(StringBuilder sb, double[] xs, double[] ys, Func<double, double> sx, Func<double, double> sy, string color, string id, bool dashed = false)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<path class=\"{id}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"5 3\"" : "")} d=\"");
        bool pen = false;
        for (int i = 0; i < xs.Length; i++)
        {
            if (!double.IsFinite(ys[i]))
            {
                pen = false;
                continue;
            }
            sb.Append(pen ? 'L' : 'M').Append(sx(xs[i]).ToString("0.#", CultureInfo.InvariantCulture)).Append(' ')
              .Append(sy(ys[i]).ToString("0.#", CultureInfo.InvariantCulture)).Append(' ');
            pen = true;
        }
        sb.Append("\"/>");
    }
}
