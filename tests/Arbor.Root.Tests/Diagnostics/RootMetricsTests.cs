using Arbor.Root.Diagnostics;
using Arbor.Testing;

namespace Arbor.Root.Tests.Diagnostics;

/// <summary>What the root counts: requests by who failed them, model results inside answered requests, and a p99 of the last minute's successes.</summary>
public sealed class RootMetricsTests
{
    [Fact]
    public void Requests_AreSplitIntoServerAndClientErrors()
    {
        using var metrics = new RootMetrics();

        metrics.RecordRequest("OK", 10, 5);
        metrics.RecordRequest("NotFound", 10, 1);
        metrics.RecordRequest("InvalidArgument", 10, 1);
        metrics.RecordRequest("Unavailable", 10, 2);
        metrics.RecordRequest("Internal", 10, 2);

        Assert.Equal(5, metrics.RequestCount);
        Assert.Equal(2, metrics.ErrorCount);
        Assert.Equal(2, metrics.ClientErrorCount);
        Assert.Equal(10, metrics.CandidateCount);
    }

    [Fact]
    public void ModelResults_FailuresInsideAnsweredRequestsCountAsThatModelsServerErrors()
    {
        using var metrics = new RootMetrics();

        metrics.RecordModelResult("m", "3", 0);
        metrics.RecordModelResult("m", "3", 13); // INTERNAL: the forward threw
        metrics.RecordModelResult("m", "", 14); // UNAVAILABLE: no replica answered
        metrics.RecordModelResult("m", "9", 5); // NOT_FOUND: the client asked for a version that is not served

        Assert.Equal(4, metrics.ModelResultCount);
        Assert.Equal(2, metrics.ModelErrorCount);
    }

    [Fact]
    public void ModelStatistics_PerModelResultsErrorsAndTheLatencyOfItsSuccessfulCalls()
    {
        var time = new ManualTimeProvider();
        using var metrics = new RootMetrics(time: time);

        metrics.RecordModelResult("a", "1", 0, 4);
        metrics.RecordModelResult("a", "1", 0, 8);
        metrics.RecordModelResult("a", "1", 13, 900); // a failed call's time is not the model's latency
        metrics.RecordModelResult("b", "2", 0, 30);
        metrics.RecordModelResult("b", "2", 3, 1); // INVALID_ARGUMENT: the client's, not a model error

        var stats = metrics.ModelStatistics();

        Assert.Equal(["a", "b"], stats.Select(s => s.Model));
        Assert.Equal((3L, 1L, 4.0, 8.0), (stats[0].Results, stats[0].Errors, stats[0].P50Ms, stats[0].P99Ms));
        Assert.Equal((2L, 0L, 30.0), (stats[1].Results, stats[1].Errors, stats[1].P99Ms));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(0, metrics.ModelStatistics()[0].P99Ms);
        Assert.Equal(3, metrics.ModelStatistics()[0].Results);
    }

    [Fact]
    public void Latencies_OnlySuccessfulRequestsOfTheLastMinute()
    {
        var time = new ManualTimeProvider();
        using var metrics = new RootMetrics(time: time);

        metrics.RecordRequest("OK", 1, 15_000); // a burst long past
        metrics.RecordRequest("DeadlineExceeded", 1, 30_000);
        time.Advance(TimeSpan.FromSeconds(61));
        metrics.RecordRequest("OK", 1, 4);
        metrics.RecordRequest("OK", 1, 6);
        metrics.RecordRequest("Unavailable", 1, 20_000);

        Assert.Equal([4, 6], metrics.Latencies.Percentiles(50, 100));
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal([0, 0], metrics.Latencies.Percentiles(50, 99));
    }
}
