using System.Globalization;
using System.Text;

namespace Arbor.Cli.Bench;

/// <summary>The report as a plain-text table (the demo's and the bench's console output, and the Markdown in docs).</summary>
public static class BenchTable
{
    public static string Format(BenchReport report, bool markdown = false)
    {
        string[] header = ["mode", "bytes/cand root→leaf", "vs untrimmed", "wire/values", "p50 ms", "p99 ms", "root CPU µs/cand", "leaf CPU µs/cand", "max cand/s", "score parity"];
        var rows = report.Modes.Select(m => new[]
        {
            m.Mode,
            F(m.LeafInboundBytesPerCandidate, "N0"),
            m.BytesVsUntrimmed is { } r ? (r == 1 ? "baseline" : F(-(1 - r) * 100, "+0;-0") + "%") : "-",
            m.WireOverValues is { } w ? F(w, "F2") + "×" : "-",
            F(m.P50Ms, "F1"),
            F(m.P99Ms, "F1"),
            F(m.RootCpuUsPerCandidate, "F1"),
            m.LeafCpuUsPerCandidate is { } l ? F(l, "F1") : "shared",
            m.MaxCandidatesPerS is { } t ? F(t, "N0") : "-",
            (m.ScoresMatch ? $"100% ({m.ScoresCompared})" : $"{m.ScoreMismatches} diff, {m.Errors} err / {m.ScoresCompared}") + (m.Unfinished > 0 ? $", {m.Unfinished} late" : ""),
        }).ToList();
        if (report.Modes.All(m => m.MaxCandidatesPerS is null))
        {
            header = [.. header.Where((_, i) => i != 8)];
            rows = [.. rows.Select(r => r.Where((_, i) => i != 8).ToArray())];
        }

        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        if (markdown)
        {
            text.AppendLine("| " + string.Join(" | ", header) + " |");
            text.AppendLine("|" + string.Join("|", header.Select((_, i) => i == 0 ? "---" : "---:")) + "|");
            foreach (var row in rows)
            {
                text.AppendLine("| " + string.Join(" | ", row) + " |");
            }

            AppendShadowCost(text, report.Summary.Shadow, markdown);
            return text.ToString();
        }

        text.AppendLine(string.Join("  ", header.Select((h, i) => i == 0 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))));
        text.AppendLine(new string('-', widths.Sum() + (2 * (widths.Length - 1))));
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))));
        }

        AppendShadowCost(text, report.Summary.Shadow, markdown);
        return text.ToString();
    }

    /// <summary>One line under the table: what shadow verification adds to the trimmed mode at the default fraction.</summary>
    private static void AppendShadowCost(StringBuilder text, ShadowCost? shadow, bool markdown)
    {
        if (shadow is null)
        {
            return;
        }

        if (markdown)
        {
            text.AppendLine();
        }

        text.AppendLine(
            $"shadow verification at trimmer.shadow_fraction {F(shadow.Fraction, "0.####")} (from the trimmed and untrimmed rows): " +
            $"+{F(shadow.ExtraBytesPerCandidate, "N1")} B/cand root→leaf (+{F(shadow.ExtraBytesVsTrimmed * 100, "0.##")}% of trimmed), " +
            $"+{F(shadow.ExtraLeafCallsPerRequest, "0.####")} leaf calls/request" +
            (shadow.ExtraLeafCpuUsPerCandidate is { } cpu ? $", +{F(cpu, "0.##")} leaf CPU µs/cand" : ""));
    }

    private static string F(double value, string format) =>
        double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}
