using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Testing;
using Xunit;

namespace Arbor.FunctionalTests.Bench;

/// <summary>
/// The network benchmark end to end on loopback: real leaf and root processes over the sample
/// repository, a short interleaved run, and the report's promises checked.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class NetworkBenchTests
{
    [Fact]
    public async Task ShortRun_SmallScenario_ReportsEveryModeWithParityAndFewerTrimmedBytes()
    {
        using var work = new TempDirectory("arbor-bench-");
        var options = new NetworkBenchOptions
        {
            Scenario = BenchScenario.Small,
            Modes = BenchMode.ParseList("trimmed+lz4"),
            Duration = TimeSpan.FromSeconds(100),
            RequestsPerSecond = 2,
            Leaves = LeafLayout.PerMode,
            WorkDirectory = work.Path,
            Command = "test",
        };

        var report = await NetworkBench.RunAsync(options, BenchProgress.Silent(), TestContext.Current.CancellationToken);

        Assert.Equal(["untrimmed", "trimmed+lz4"], report.Modes.Select(m => m.Mode));
        Assert.All(report.Modes, m =>
        {
            Assert.True(m.ScoresMatch, $"{m.Mode}: {m.FirstMismatch ?? m.FirstError}");
            Assert.True(m.Requests > 0 && m.Candidates == m.Requests * BenchScenario.Small.CandidatesPerRequest, $"{m.Mode}: {m.Requests} requests, {m.Candidates} candidates");
            Assert.True(m.RootCpuUsPerCandidate > 0 && m.LeafCpuUsPerCandidate > 0, $"{m.Mode}: CPU not measured");
            Assert.True(m.P50Ms > 0 && m.P99Ms >= m.P50Ms, $"{m.Mode}: p50 {m.P50Ms}, p99 {m.P99Ms}");
        });
        var untrimmed = report.Modes[0];
        var trimmed = report.Modes[1];
        Assert.True(trimmed.LeafInboundBytesPerCandidate < untrimmed.LeafInboundBytesPerCandidate, $"trimmed {trimmed.LeafInboundBytesPerCandidate} B vs untrimmed {untrimmed.LeafInboundBytesPerCandidate} B");
        // Trimming leaves out values: fewer raw value bytes per candidate reach the leaves (compression does not change them).
        Assert.True(trimmed.ValueBytesPerCandidate > 0 && trimmed.ValueBytesPerCandidate < untrimmed.ValueBytesPerCandidate, $"values: trimmed {trimmed.ValueBytesPerCandidate} B vs untrimmed {untrimmed.ValueBytesPerCandidate} B");
        Assert.Equal(1.0, report.Summary.ScoreParity);
        Assert.True(report.DurationS < options.Duration.TotalSeconds, $"ran {report.DurationS:F0} s");

        using var json = JsonDocument.Parse(BenchReportJson.Serialize(report));
        var entries = json.RootElement.GetProperty("modes").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        foreach (var entry in entries)
        {
            foreach (var field in new[] { "leaf_inbound_bytes_per_candidate", "value_bytes_per_candidate", "wire_over_values", "root_cpu_us_per_candidate", "leaf_cpu_us_per_candidate", "p50_ms", "p99_ms", "candidates_per_s" })
            {
                Assert.Equal(JsonValueKind.Number, entry.GetProperty(field).ValueKind);
            }

            Assert.Equal(JsonValueKind.String, entry.GetProperty("mode").ValueKind);
            Assert.Equal(JsonValueKind.True, entry.GetProperty("scores_match").ValueKind);
        }
    }
}
