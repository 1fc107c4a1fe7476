using Arbor.Cli.Bench;
using Xunit;

namespace Arbor.FunctionalTests.Bench;

public sealed class BenchReportTests
{
    [Fact]
    public void Summary_RatiosAreAgainstUntrimmed()
    {
        var modes = BenchResults.WithRatios([Mode("untrimmed", bytes: 1000, cpu: 10, p99: 40), Mode("trimmed", bytes: 300, cpu: 8, p99: 10), Mode("lz4", bytes: 800, cpu: 11, p99: 44)]);

        var summary = BenchSummary.From(modes);

        Assert.Equal(0.3, summary.TrimmedBytesRatio!.Value, 9);
        Assert.Equal(0.8, summary.Lz4BytesRatio!.Value, 9);
        Assert.Equal(0.8, summary.TrimmedRootCpuRatio!.Value, 9);
        Assert.Equal(0.25, summary.TrimmedP99Ratio!.Value, 9);
        Assert.Null(summary.TrimmedLz4BytesRatio);
        Assert.Equal(0.3, modes[1].BytesVsUntrimmed!.Value, 9);
    }

    [Fact]
    public void Summary_ShadowCostAtTheDefaultFraction_AddsAPairPerSampledTrimmedCall()
    {
        var modes = BenchResults.WithRatios([Mode("untrimmed", bytes: 1000, cpu: 10, p99: 40), Mode("trimmed", bytes: 300, cpu: 8, p99: 10)]);

        var shadow = BenchSummary.From(modes).Shadow!;
        var table = BenchTable.Format(Report(modes));

        Assert.Equal(0.001, shadow.Fraction);
        Assert.Equal(0.001 * (300 + 1000), shadow.ExtraBytesPerCandidate, 9);
        Assert.Equal(0.001 * 1300 / 300, shadow.ExtraBytesVsTrimmed, 9);
        Assert.Equal(2 * 0.001 * 3.5, shadow.ExtraLeafCallsPerRequest, 9);
        Assert.Equal(0.001 * ((8 * 2) + (10 * 2)), shadow.ExtraLeafCpuUsPerCandidate!.Value, 9);
        Assert.Contains("shadow verification at trimmer.shadow_fraction 0.001", table, StringComparison.Ordinal);
        Assert.Contains("+1.3 B/cand", table, StringComparison.Ordinal);
        Assert.Null(BenchSummary.From(BenchResults.WithRatios([Mode("untrimmed", 1000, 10, 40), Mode("lz4", 800, 11, 44)])).Shadow);
    }

    [Fact]
    public void Json_RoundTrips_WithSnakeCaseFields()
    {
        var modes = BenchResults.WithRatios([Mode("untrimmed", 1000, 10, 40), Mode("trimmed", 300, 8, 10)]);
        var report = Report(modes);

        var json = BenchReportJson.Serialize(report);
        var back = BenchReportJson.Deserialize(json);

        Assert.Contains("\"leaf_inbound_bytes_per_candidate\": 300", json, StringComparison.Ordinal);
        Assert.Equal(report.Modes, back.Modes);
    }

    [Fact]
    public void TableAndChart_NameEveryMode()
    {
        var report = Report(BenchResults.WithRatios([Mode("untrimmed", 1000, 10, 40), Mode("trimmed+zstd", 200, 9, 12)]));

        var table = BenchTable.Format(report);
        var svg = BenchChart.Render(report);

        Assert.Contains("trimmed+zstd", table, StringComparison.Ordinal);
        Assert.Contains("-80%", table, StringComparison.Ordinal);
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.Contains(">trimmed+zstd<", svg, StringComparison.Ordinal);
        Assert.Equal(2 * 2, svg.Split("<rect x=").Length - 1);
    }

    [Fact]
    public void ParseList_AlwaysStartsWithTheBaseline_AndRejectsUnknownModes()
    {
        Assert.Equal(["untrimmed", "trimmed"], BenchMode.ParseList("trimmed").Select(m => m.Name));
        Assert.Equal(6, BenchMode.ParseList(null).Count);
        Assert.Throws<ArgumentException>(() => BenchMode.ParseList("trimmed,snappy"));
    }

    [Fact]
    public void Percentile_IsNearestRank()
    {
        var samples = new LatencySamples();
        foreach (var ms in Enumerable.Range(1, 100).Reverse())
        {
            samples.Add(ms);
        }

        Assert.Equal(50, samples.Percentile(50));
        Assert.Equal(99, samples.Percentile(99));
        Assert.Equal(100, samples.Percentile(100));
        Assert.True(double.IsNaN(new LatencySamples().Percentile(50)));
    }

    private static BenchModeResult Mode(string name, double bytes, double cpu, double p99) => new()
    {
        Mode = name,
        Trimming = name.StartsWith("trimmed", StringComparison.Ordinal),
        Compression = "identity",
        Requests = 10,
        Candidates = 3000,
        Errors = 0,
        LeafInboundBytesPerCandidate = bytes,
        LeafInboundBytesPerRequest = bytes * 300,
        LeafCallsPerRequest = 3.5,
        RootCpuUsPerCandidate = cpu,
        LeafCpuUsPerCandidate = cpu * 2,
        P50Ms = p99 / 2,
        P90Ms = p99 * 0.9,
        P99Ms = p99,
        CandidatesPerS = 600,
        ScoresCompared = 10,
        ScoreMismatches = 0,
        ScoresMatch = true,
    };

    private static BenchReport Report(IReadOnlyList<BenchModeResult> modes) => new()
    {
        Scenario = "reference",
        Description = "test",
        Command = "arbor bench",
        StartedAt = DateTimeOffset.UnixEpoch,
        DurationS = 60,
        WarmupS = 10,
        MeasuredS = 45,
        OfferedRequestsPerS = 2,
        CandidatesPerRequest = 300,
        Method = "interleaved",
        LeafLayout = "per-mode",
        Shed = 0,
        ProcessorCount = 2,
        Modes = modes,
        Summary = BenchSummary.From(modes),
    };
}
