using System.Globalization;
using System.Net;
using System.Text;

namespace Arbor.Cli.Bench;

/// <summary>
/// An SVG chart of a report: leaf inbound bytes per candidate and p99 latency per mode, as two
/// bar panels side by side (max throughput as a third when the link benchmark measured it).
/// </summary>
public static class BenchChart
{
    private const int BarHeight = 22;
    private const int Gap = 8;
    private const int LabelWidth = 110;
    private const int PanelWidth = 300;
    private const int Top = 56;

    public static string Render(BenchReport report)
    {
        var panels = new List<(string Title, Func<BenchModeResult, double> Value, string Unit)>
        {
            ("Leaf inbound bytes per candidate", m => m.LeafInboundBytesPerCandidate, "B"),
            ("p99 latency", m => m.P99Ms, "ms"),
        };
        if (report.Modes.Any(m => m.MaxCandidatesPerS is not null))
        {
            panels.Add(("Max throughput", m => m.MaxCandidatesPerS ?? 0, "cand/s"));
        }

        var width = LabelWidth + (panels.Count * (PanelWidth + 40));
        var height = Top + (report.Modes.Count * (BarHeight + Gap)) + 30;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        var subtitle = report.LinkMbit is { } mbit ? $", {mbit} Mbit/s link" : string.Empty;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">Arbor bench: scenario {Escape(report.Scenario)} ({report.CandidatesPerRequest} candidates/request, {report.OfferedRequestsPerS:0.##} req/s per mode{subtitle})</text>\n");
        for (var i = 0; i < report.Modes.Count; i++)
        {
            var y = Top + (i * (BarHeight + Gap));
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"{y + 15}\">{Escape(report.Modes[i].Mode)}</text>\n");
        }

        for (var p = 0; p < panels.Count; p++)
        {
            var (title, value, unit) = panels[p];
            var x0 = LabelWidth + (p * (PanelWidth + 40));
            var max = report.Modes.Select(value).Where(v => !double.IsNaN(v)).DefaultIfEmpty(0).Max();
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0}\" y=\"44\" font-weight=\"bold\">{Escape(title)}</text>\n");
            for (var i = 0; i < report.Modes.Count; i++)
            {
                var mode = report.Modes[i];
                var v = value(mode);
                var length = max > 0 && !double.IsNaN(v) ? v / max * (PanelWidth - 70) : 0;
                var y = Top + (i * (BarHeight + Gap));
                var colour = mode.Trimming ? "#2e7d32" : "#9e9e9e";
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{y}\" width=\"{length:F1}\" height=\"{BarHeight}\" fill=\"{colour}\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + length + 4:F1}\" y=\"{y + 15}\">{(double.IsNaN(v) ? "-" : v.ToString(v >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture))} {unit}</text>\n");
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"{height - 8}\" fill=\"#555\">green: Feature Trimmer on; grey: untrimmed (union of features). Score parity {report.Summary.ScoreParity:P1}.</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
