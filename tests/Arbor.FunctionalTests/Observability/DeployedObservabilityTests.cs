using System.Text.Json;
using System.Text.RegularExpressions;
using Arbor.Telemetry;
using Arbor.Testing;
using YamlDotNet.RepresentationModel;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// deploy/observability: the alerting rules and the Grafana dashboard parse, have the shape their
/// tools expect, and name only metrics that a real root and leaf expose.
/// </summary>
[Collection(ObservedCluster.Collection)]
public sealed partial class DeployedObservabilityTests(ObservedCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Folder => RepositoryPaths.Combine("deploy", "observability");

    [Fact]
    public async Task AlertRules_AreWellFormed_DocumentedAndNameOnlyScrapedMetrics()
    {
        var rules = AlertRules();
        var documentation = await File.ReadAllTextAsync(RepositoryPaths.Combine("docs", "observability.md"), Ct);
        var exposed = await ExposedSampleNamesAsync();

        Assert.NotEmpty(rules);
        Assert.Equal(rules.Count, rules.Select(r => r.Alert).Distinct(StringComparer.Ordinal).Count());
        foreach (var rule in rules)
        {
            Assert.Matches("^Arbor[A-Za-z0-9]+$", rule.Alert);
            Assert.True(Balanced(rule.Expr), $"{rule.Alert}: unbalanced brackets in {rule.Expr}");
            Assert.Contains(rule.Severity, new[] { "page", "ticket" });
            Assert.False(string.IsNullOrWhiteSpace(rule.Summary), rule.Alert);
            Assert.Equal($"docs/observability.md#{rule.Alert.ToLowerInvariant()}", rule.Runbook);
            Assert.Contains($"### {rule.Alert}", documentation, StringComparison.Ordinal);
            Assert.All(MetricNames(rule.Expr), name => Assert.True(exposed.Contains(name), $"{rule.Alert} names {name}, which no scrape shows"));
        }
    }

    [Fact]
    public async Task Dashboard_IsGrafanaJson_AndNamesOnlyScrapedMetrics()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Folder, "arbor-dashboard.json"), Ct));
        var exposed = await ExposedSampleNamesAsync();
        var root = dashboard.RootElement;

        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
        Assert.Contains(root.GetProperty("templating").GetProperty("list").EnumerateArray(), v => v.GetProperty("name").GetString() == "datasource" && v.GetProperty("query").GetString() == "prometheus");
        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        var expressions = 0;
        foreach (var panel in panels.Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var title = panel.GetProperty("title").GetString()!;
            var position = panel.GetProperty("gridPos");
            Assert.InRange(position.GetProperty("x").GetInt32() + position.GetProperty("w").GetInt32(), 1, 24);
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
            foreach (var target in targets)
            {
                var expr = target.GetProperty("expr").GetString()!;
                expressions++;
                Assert.True(Balanced(expr), $"{title}: unbalanced brackets in {expr}");
                var names = MetricNames(expr);
                Assert.NotEmpty(names);
                Assert.All(names, name => Assert.True(exposed.Contains(name), $"panel '{title}' names {name}, which no scrape shows"));
            }
        }

        Assert.True(expressions >= 10, $"only {expressions} queries");
    }

    /// <summary>Every sample name a root and a leaf show once they have served a request twice.</summary>
    private async Task<HashSet<string>> ExposedSampleNamesAsync()
    {
        // Twice, whatever the collection ran before (tests run in a random order): the second is served
        // from the cache, so the cache's hit counters exist as they do on any root with traffic.
        await cluster.ScoreAsync(cluster.Request($"deploy-{Guid.NewGuid():N}", 4));
        await cluster.ScoreAsync(cluster.Request($"deploy-{Guid.NewGuid():N}", 4));
        var root = await PrometheusScrape.GetAsync(cluster.Http, new Uri(cluster.RootAdmin, TelemetryHostingExtensions.MetricsPath), Ct);
        var leaf = await PrometheusScrape.GetAsync(cluster.Http, new Uri(cluster.LeafHttp, TelemetryHostingExtensions.MetricsPath), Ct);
        return [.. root.SampleNames.Concat(leaf.SampleNames)];
    }

    private static List<AlertRule> AlertRules()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Folder, "arbor-alerts.yaml")))
        {
            yaml.Load(reader);
        }

        var rules = new List<AlertRule>();
        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        foreach (YamlMappingNode group in groups)
        {
            Assert.False(string.IsNullOrEmpty(((YamlScalarNode)group["name"]).Value));
            foreach (YamlMappingNode rule in (YamlSequenceNode)group["rules"])
            {
                var labels = (YamlMappingNode)rule["labels"];
                var annotations = (YamlMappingNode)rule["annotations"];
                rules.Add(new AlertRule(
                    Scalar(rule, "alert"),
                    Scalar(rule, "expr"),
                    Scalar(labels, "severity"),
                    Scalar(annotations, "summary"),
                    Scalar(annotations, "runbook")));
            }
        }

        return rules;
    }

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? "" : "";

    /// <summary>The metric names in a PromQL expression (Arbor's and the runtime's).</summary>
    private static HashSet<string> MetricNames(string expr) =>
        [.. MetricName().Matches(expr).Select(m => m.Value)];

    private static bool Balanced(string expr)
    {
        var stack = new Stack<char>();
        foreach (var c in expr)
        {
            switch (c)
            {
                case '(' or '[' or '{':
                    stack.Push(c);
                    break;
                case ')' or ']' or '}':
                    if (stack.Count == 0 || stack.Pop() != c switch { ')' => '(', ']' => '[', _ => '{' })
                    {
                        return false;
                    }

                    break;
            }
        }

        return stack.Count == 0;
    }

    [GeneratedRegex(@"\b(?:arbor|dotnet)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    private sealed record AlertRule(string Alert, string Expr, string Severity, string Summary, string Runbook);
}
