using System.Diagnostics;
using System.Text.Json;

namespace Arbor.FunctionalTests.Observability;

/// <summary>
/// A <c>/metrics</c> answer as Prometheus's own Python client parses it (Debian's
/// python3-prometheus-client, <c>text_string_to_metric_families</c>): families by name, each with
/// its type and samples. A scrape the parser rejects fails the test with the parser's message.
/// </summary>
public sealed class PrometheusScrape
{
    private const string Python = "/usr/bin/python3";

    private PrometheusScrape(Dictionary<string, MetricFamily> families) => Families = families;

    /// <summary>Family name (without <c>_total</c>, <c>_bucket</c>... suffixes) → family.</summary>
    public IReadOnlyDictionary<string, MetricFamily> Families { get; }

    /// <summary>Every sample name in the scrape (<c>x_total</c>, <c>x_bucket</c>, <c>x_count</c>...).</summary>
    public IEnumerable<string> SampleNames => Families.Values.SelectMany(f => f.Samples).Select(s => s.Name).Distinct(StringComparer.Ordinal);

    public static async Task<PrometheusScrape> GetAsync(HttpClient http, Uri metricsUrl, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(metricsUrl, cancellationToken);
        return await ParseAsync(text, cancellationToken);
    }

    public static async Task<PrometheusScrape> ParseAsync(string exposition, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Python, [Path.Combine(AppContext.BaseDirectory, "Observability", "parse_metrics.py")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the Prometheus parser rejected the scrape ({process.ExitCode}): {await stderr}");
        }

        using var document = JsonDocument.Parse(await stdout);
        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        foreach (var family in document.RootElement.GetProperty("families").EnumerateObject())
        {
            var samples = family.Value.GetProperty("samples").EnumerateArray().Select(sample => new MetricSample(
                sample.GetProperty("name").GetString()!,
                sample.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!, StringComparer.Ordinal),
                sample.GetProperty("value") switch
                {
                    { ValueKind: JsonValueKind.Number } number => number.GetDouble(),
                    { ValueKind: JsonValueKind.String } infinity => infinity.GetString()!.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity,
                    _ => double.NaN,
                })).ToList();
            families[family.Name] = new MetricFamily(family.Name, family.Value.GetProperty("type").GetString()!, samples);
        }

        return new PrometheusScrape(families);
    }

    /// <summary>The samples called <paramref name="sampleName"/> whose labels include every pair of <paramref name="labels"/>.</summary>
    public IReadOnlyList<MetricSample> Samples(string sampleName, params (string Name, string Value)[] labels) =>
        Families.Values.SelectMany(f => f.Samples)
            .Where(s => s.Name == sampleName && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value))
            .ToList();

    /// <summary>The sum of the matching samples (0 when none).</summary>
    public double Sum(string sampleName, params (string Name, string Value)[] labels) => Samples(sampleName, labels).Sum(s => s.Value);
}

public sealed record MetricFamily(string Name, string Type, IReadOnlyList<MetricSample> Samples);

public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
