using System.Globalization;
using System.Net;
using System.Text;

namespace Arbor.Telemetry.Status;

/// <summary>
/// The building blocks of the status pages: one self-contained HTML document (inline CSS, a few
/// lines of inline JS, SVG charts drawn on the server; nothing loaded from elsewhere), escaped text,
/// tables and per-model traffic charts from a <see cref="TrafficHistory"/>.
/// </summary>
public static class StatusHtml
{
    private const string Style = """
        body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}h1{font-size:18px}h2{font-size:15px;margin-top:20px}
        table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
        th{background:#f3f3f3}.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}.muted{color:#777}
        svg{background:#fafafa;border:1px solid #ddd}
        """;

    // Keeps the page current (a reload every 10 s) and stamps when this copy was drawn, in local time.
    private const string Script = """
        const drawn = new Date(Number(document.body.dataset.generated));
        document.getElementById('drawn').textContent = 'drawn ' + drawn.toLocaleTimeString() + ', refreshes every 10 s';
        document.body.dataset.script = 'ran';
        setTimeout(() => location.reload(), 10000);
        """;

    /// <summary>A whole page: <paramref name="title"/>, then <paramref name="body"/> (already HTML).</summary>
    public static string Page(string title, DateTimeOffset generated, string body) =>
        $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{Escape(title)}</title><style>{Style}</style></head>
        <body data-generated="{generated.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}">
        <h1>{Escape(title)}</h1><p class="muted" id="drawn">drawn {generated:u}</p>
        {body}
        <script>{Script}</script>
        </body></html>
        """;

    public static string Escape(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>"ready" in green or <paramref name="notReady"/> in red.</summary>
    public static string State(bool ok, string okText = "ready", string notOkText = "not ready") =>
        ok ? $"<span class=\"ok\">{Escape(okText)}</span>" : $"<span class=\"bad\">{Escape(notOkText)}</span>";

    /// <summary>A table; cells are HTML.</summary>
    public static string Table(string id, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<table id=\"{Escape(id)}\"><tr>");
        foreach (var header in headers)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th>{Escape(header)}</th>");
        }

        html.Append("</tr>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append(CultureInfo.InvariantCulture, $"<td>{cell}</td>");
            }

            html.Append("</tr>");
        }

        if (!any)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td colspan=\"{headers.Count}\" class=\"muted\">none</td></tr>");
        }

        return html.Append("</table>").ToString();
    }

    /// <summary>
    /// Per-model traffic over the history's window: totals and a small chart per measure (server error rate,
    /// p99, bytes per candidate saved by trimming when <paramref name="withTrimming"/>).
    /// </summary>
    public static string Traffic(TrafficHistory history, bool withTrimming)
    {
        ArgumentNullException.ThrowIfNull(history);
        var window = history.Slot * history.SlotCount;
        var headers = new List<string> { "model", "calls", "server error rate", $"server error rate ({history.Slot.TotalSeconds:0} s slots)", "client errors", "p99", "p99 per slot" };
        if (withTrimming)
        {
            headers.AddRange(["bytes saved per candidate", "saved per candidate per slot"]);
        }

        var rows = history.Snapshot().Select(model =>
        {
            var points = model.Value;
            var calls = points.Sum(p => p.Calls);
            var errors = points.Sum(p => p.Errors);
            var clientErrors = points.Sum(p => p.ClientErrors);
            var rows = points.Sum(p => p.Rows);
            var saved = points.Sum(p => p.BytesSaved);
            var p99 = points.Max(p => p.P99Seconds);
            var cells = new List<string>
            {
                $"<span class=\"model\">{Escape(model.Key)}</span>",
                calls.ToString(CultureInfo.InvariantCulture),
                calls == 0 ? "–" : $"<span class=\"{(errors == 0 ? "ok" : "bad")}\">{(double)errors / calls:0.00 %}</span>",
                Chart(points.Select(p => p.ErrorRate * 100).ToList(), "%"),
                clientErrors.ToString(CultureInfo.InvariantCulture),
                p99 is { } worst ? $"≤ {Milliseconds(worst)}" : "–",
                Chart(points.Select(p => p.P99Seconds * 1000).ToList(), "ms"),
            };
            if (withTrimming)
            {
                cells.Add(rows == 0 ? "–" : $"{(double)saved / rows:0} B");
                cells.Add(Chart(points.Select(p => p.BytesSavedPerCandidate).ToList(), "B"));
            }

            return (IReadOnlyList<string>)cells;
        });
        return $"<p class=\"muted\">Last {window.TotalMinutes:0} minutes. Server errors are the service's failures (unavailable, internal, deadline exceeded, load shed); client errors are the caller's (invalid argument, unknown model or version, cancelled). p99 is the bound of the latency bucket holding the 99th percentile.</p>"
            + Table("traffic", headers, rows);
    }

    /// <summary>A 180×40 SVG line of <paramref name="values"/> (nulls are gaps) with its maximum as a label.</summary>
    public static string Chart(IReadOnlyList<double?> values, string unit)
    {
        ArgumentNullException.ThrowIfNull(values);
        const int Width = 180, Height = 40, Top = 12;
        var max = values.Where(v => v.HasValue).Select(v => v!.Value).DefaultIfEmpty(0).Max();
        var scale = max <= 0 ? 0 : (Height - Top - 2) / max;
        var step = values.Count > 1 ? (double)Width / (values.Count - 1) : 0;
        var path = new StringBuilder();
        var dots = new StringBuilder();
        var pen = 'M';
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } value)
            {
                pen = 'M';
                continue;
            }

            // A dot per slot with traffic: a slot between two empty ones has no line to show it.
            var (x, y) = (i * step, Height - 1 - (value * scale));
            path.Append(CultureInfo.InvariantCulture, $"{pen}{x:0.#},{y:0.#} ");
            dots.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{x:0.#}\" cy=\"{y:0.#}\" r=\"1.8\" fill=\"#1a73e8\"/>");
            pen = 'L';
        }

        var label = max <= 0 ? $"0 {unit}" : $"max {max.ToString(max >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture)} {unit}";
        return $"<svg class=\"chart\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Escape(label)}\">"
            + $"<text x=\"2\" y=\"10\" font-size=\"9\" fill=\"#777\">{Escape(label)}</text>"
            + $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"#1a73e8\" stroke-width=\"1.5\"/>{dots}</svg>";
    }

    /// <summary>Seconds as milliseconds for people.</summary>
    public static string Milliseconds(double seconds) =>
        (seconds * 1000).ToString(seconds < 0.01 ? "0.##" : "0", CultureInfo.InvariantCulture) + " ms";
}
