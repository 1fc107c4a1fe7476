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
