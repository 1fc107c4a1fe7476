using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// The root's status page (<c>/status</c>) of a real root and leaf process, loaded in a real
/// browser: headless Chromium (Debian's <c>chromium</c>, scripts/prereqs.sh) runs the page's script
/// and dumps the document it ends with. Setting <c>ARBOR_STATUS_SCREENSHOT</c> to a PNG path also
/// saves a screenshot there (how docs/status-page.png is made).
/// </summary>
[Collection(ObservedCluster.Collection)]
public sealed partial class StatusPageTests(ObservedCluster cluster)
{
    private const string Chromium = "/usr/bin/chromium";
    private const int Requests = 6;
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StatusPage_InABrowser_ShowsReadinessModelsBundlesAndTrafficPerModel()
    {
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(cluster.Request($"status-{i}", 20));
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {r.Status.Message}"));
        }

        var url = new Uri(cluster.RootAdmin, "/status");
        var dom = await RunChromiumAsync("--dump-dom", url.ToString());
        if (Environment.GetEnvironmentVariable("ARBOR_STATUS_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await RunChromiumAsync($"--screenshot={Path.GetFullPath(screenshot)}", "--window-size=1400,1100", url.ToString());
        }

        // The page's script ran in the browser.
        Assert.Matches("<body[^>]*data-script=\"ran\"", dom);
        Assert.Contains("refreshes every 10 s", dom, StringComparison.Ordinal);

        // Readiness: the root, its store and its one partition.
        Assert.Matches("id=\"readiness\">Root: <span class=\"ok\">ready</span>", dom);
        Assert.Contains("feature store", dom, StringComparison.Ordinal);
        Assert.Contains($"partition {ObservedCluster.Partition}", dom, StringComparison.Ordinal);

        // Every model, as the leaf lists it: serving, with an available version.
        var served = Section(dom, "served");
        foreach (var model in cluster.Models)
        {
            Assert.Matches($"<td>{ObservedCluster.Partition}</td><td>127\\.0\\.0\\.1:\\d+</td><td><span class=\"ok\">ready</span></td><td>{Regex.Escape(model)}</td><td>production</td><td>yes</td><td><span class=\"ok\">serving</span></td>", served);
        }

        Assert.Contains("<span class=\"ok\">available</span>", served, StringComparison.Ordinal);

        // The bundle the root trims with, active.
        Assert.Contains("<span class=\"ok\">active</span>", Section(dom, "bundles"), StringComparison.Ordinal);

        // Traffic: each model's calls (at least this test's), no errors, a p99 and bytes saved by trimming, with charts.
        var traffic = Section(dom, "traffic");
        foreach (var model in cluster.Models)
        {
            var row = TrafficRow().Matches(traffic).Single(m => m.Groups["model"].Value == model);
            Assert.True(long.Parse(row.Groups["calls"].Value, System.Globalization.CultureInfo.InvariantCulture) >= Requests, row.Value);
            Assert.Contains("0.00 %", row.Value, StringComparison.Ordinal);
            Assert.Matches("≤ [0-9.]+ ms", row.Value);
            Assert.Matches("<td>[1-9][0-9]* B</td>", row.Value);
            Assert.Equal(3, Regex.Matches(row.Value, "<svg class=\"chart\"").Count);
        }
    }

    [Fact]
    public async Task LeafStatusPage_InABrowser_ShowsEveryModelServingAndItsTraffic()
    {
        for (var i = 0; i < Requests; i++)
        {
            await cluster.ScoreAsync(cluster.Request($"leaf-status-{i}", 20));
        }

        var dom = await RunChromiumAsync("--dump-dom", new Uri(cluster.LeafHttp, "/status").ToString());

        Assert.Matches("<body[^>]*data-script=\"ran\"", dom);
        Assert.Contains($"id=\"readiness\">Partition {ObservedCluster.Partition}: <span class=\"ok\">ready</span>", dom, StringComparison.Ordinal);
        var models = Section(dom, "models");
        var traffic = Section(dom, "traffic");
        foreach (var model in cluster.Models)
        {
            Assert.Contains($"<span class=\"model\">{model}</span></td><td>production</td><td>yes</td><td><span class=\"ok\">serving</span></td>", models, StringComparison.Ordinal);
            var row = TrafficRow().Matches(traffic).Single(m => m.Groups["model"].Value == model);
            Assert.True(long.Parse(row.Groups["calls"].Value, System.Globalization.CultureInfo.InvariantCulture) >= Requests, row.Value);
            Assert.Equal(2, Regex.Matches(row.Value, "<svg class=\"chart\"").Count);
        }
    }

    [GeneratedRegex("<tr><td><span class=\"model\">(?<model>[^<]+)</span></td><td>(?<calls>\\d+)</td>.*?</tr>")]
    private static partial Regex TrafficRow();

    private static string Section(string dom, string tableId)
    {
        var start = dom.IndexOf($"<table id=\"{tableId}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no table {tableId} on the page");
        return dom[start..dom.IndexOf("</table>", start, StringComparison.Ordinal)];
    }

    private static async Task<string> RunChromiumAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/prereqs.sh installs Debian's chromium package");
        var start = new ProcessStartInfo(Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Root in a container has no user namespaces for the sandbox; the page is our own.
        foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--virtual-time-budget=3000", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(BrowserTimeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await errors}");
        return await output;
    }
}
