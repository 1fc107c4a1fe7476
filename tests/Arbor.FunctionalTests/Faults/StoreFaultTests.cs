using System.Diagnostics;
using Arbor.Contracts.V1;
using Arbor.FunctionalTests.Bench;
using Arbor.FunctionalTests.Observability;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;
using Xunit;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// PostgreSQL stopped (connections refused) or hung (SIGSTOP: connections open, nothing answers)
/// under steady traffic to a real root: requests whose entities were all cached before the outage
/// keep their scores bit for bit, a cold entity gets a clear UNAVAILABLE (or its deadline when the
/// store hangs), nothing waits beyond its deadline, and the root reads the store again once it is back.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class StoreFaultTests(StoreFaultCluster faults) : IClassFixture<StoreFaultCluster>
{
    // Long enough for a loaded 2-core machine; each request must still end well inside it.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ColdDeadline = TimeSpan.FromSeconds(2);

    // What an answer may take beyond its deadline on a loaded machine (scheduling, not waiting).
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Recovery = TimeSpan.FromMinutes(1);
    private const int WarmRequests = 6;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StoreStopped_UnderLoad_WarmRequestsScoreBitForBit_ColdGetsUnavailable_RecoversWhenItReturns()
    {
        var (requests, before) = await WarmAsync();
        var stale = await StaleServedAsync();
        var load = SteadyLoad.Start(faults.Root.Channel, requests, Deadline);
        IReadOnlyList<LoadOutcome> outcomes;
        try
        {
            faults.Postgres.Stop();
            await Eventually.WaitUntilAsync(async () => await StaleServedAsync() >= stale + WarmRequests, "expired entries are served stale", Recovery, Ct);

            var watch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<RpcException>(() => ScoreAsync(Cold("u_cold_stopped"), ColdDeadline));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.StartsWith("feature store unavailable", error.Status.Detail, StringComparison.Ordinal);
            Assert.True(watch.Elapsed < ColdDeadline + Margin, $"answered after {watch.Elapsed.TotalMilliseconds:0} ms");
        }
        finally
        {
            outcomes = await load.StopAsync();
            faults.Postgres.Start();
        }

        AssertWarmUnchanged(outcomes, before);
        await AssertRecoveredAsync(requests, before, "u_cold_stopped");
    }

    [Fact]
    public async Task StoreHung_UnderLoad_WarmRequestsScoreBitForBit_ColdEndsAtItsDeadline_RecoversWhenResumed()
    {
        var (requests, before) = await WarmAsync();
        var stale = await StaleServedAsync();
        var load = SteadyLoad.Start(faults.Root.Channel, requests, Deadline);
        IReadOnlyList<LoadOutcome> outcomes;
        faults.Postgres.Pause();
        try
        {
            await Eventually.WaitUntilAsync(async () => await StaleServedAsync() >= stale + WarmRequests, "expired entries are served stale", Recovery, Ct);

            var watch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<RpcException>(() => ScoreAsync(Cold("u_cold_hung"), ColdDeadline));
            Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
            Assert.True(watch.Elapsed < ColdDeadline + Margin, $"a hung store held a request {watch.Elapsed.TotalMilliseconds:0} ms");
        }
        finally
        {
            outcomes = await load.StopAsync();
            faults.Postgres.Resume();
        }

        AssertWarmUnchanged(outcomes, before);
        await AssertRecoveredAsync(requests, before, "u_cold_hung");
    }

    /// <summary>Scores a few requests once each: their user and candidates are then in the root's cache.</summary>
    private async Task<(List<ScoreRequest> Requests, List<List<string>> Scores)> WarmAsync()
    {
        var requests = Enumerable.Range(0, WarmRequests).Select(_ => faults.NextRequest()).ToList();
        var scores = new List<List<string>>();
        foreach (var request in requests)
        {
            var response = await ScoreAsync(request, Deadline);
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {r.Status.Message}"));
            scores.Add(ScoreFingerprint.Of(response));
        }

        return (requests, scores);
    }

    /// <summary>Every request of the load succeeded, within its deadline, with exactly the scores it had before the outage.</summary>
    private void AssertWarmUnchanged(IReadOnlyList<LoadOutcome> outcomes, List<List<string>> before)
    {
        Assert.NotEmpty(outcomes);
        Assert.All(outcomes, o =>
        {
            Assert.True(o.Error is null, $"request {o.Request} failed during the outage: {o.Error}");
            Assert.Equal(before[o.Request], ScoreFingerprint.Of(o.Response!));
            Assert.True(o.Elapsed < Deadline + Margin, $"request {o.Request} took {o.Elapsed.TotalMilliseconds:0} ms");
        });
        Assert.False(faults.Root.Process.HasExited, $"the root exited: {faults.Root.Process.Tail(20)}");
    }

    /// <summary>The cold user scores once the store answers again, and the warm requests still score as before.</summary>
    private async Task AssertRecoveredAsync(List<ScoreRequest> requests, List<List<string>> before, string coldUser)
    {
        await Eventually.WaitUntilAsync(
            async () =>
            {
                try
                {
                    var response = await ScoreAsync(Cold(coldUser), Deadline);
                    return response.Results.All(r => r.Status.Code == 0);
                }
                catch (RpcException)
                {
                    return false;
                }
            },
            "a cold user scores again",
            Recovery,
            Ct);
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(before[i], ScoreFingerprint.Of(await ScoreAsync(requests[i], Deadline)));
        }
    }

    private ScoreRequest Cold(string user)
    {
        var request = faults.NextRequest();
        request.UserId = user;
        return request;
    }

    private Task<ScoreResponse> ScoreAsync(ScoreRequest request, TimeSpan deadline) =>
        faults.Root.Channel.CallAsync("arbor.v1.Root/Score", request, ScoreResponse.Parser, new RpcCallOptions { Timeout = deadline }, Ct);

    private async Task<double> StaleServedAsync()
    {
        var scrape = await PrometheusScrape.GetAsync(faults.Probe, new Uri(faults.Root.AdminAddress, "/metrics"), Ct);
        return scrape.Sum("arbor_feature_cache_stale_served_total");
    }
}
