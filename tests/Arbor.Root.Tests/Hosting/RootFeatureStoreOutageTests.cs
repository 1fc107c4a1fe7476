using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Cache;
using Arbor.Root.Scoring;
using Arbor.Root.Store;
using Arbor.Root.Tests.Cache;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// A real root over a real PostgreSQL store that the tests stop (connections refused) or pause
/// (SIGSTOP: connections open, nothing answers).
/// </summary>
public sealed class RootFeatureStoreOutageTests
{
    // Far above what a request needs here, far below what a request waited on a hung store before
    // deadlines bounded the feature fetch (the store's command and connection timeouts, 30 s each).
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_StoreStopped_WarmUsersKeepTheirScoresBitForBit_ColdUserGetsUnavailable()
    {
        // Cache entries expire at once, so every request asks the store.
        using var postgres = new LocalPostgresServer();
        await using var cluster = await RootTestCluster.StartAsync(postgres: postgres, cacheTtlSeconds: 0.001);
        using var stale = new CounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), FeatureCacheMetrics.MeterName, "arbor.feature_cache.stale_served");

        // u9 is scored with both models, then (entries expired) with m_a alone: that refresh reads
        // only m_a's features. u1 is scored through the surface (both models).
        var u9Before = await cluster.ScoreAsync(WithModels(RootTestCluster.Request(user: "u9"), "m_a", "m_b"));
        var u1Before = await cluster.ScoreAsync(RootTestCluster.Request(user: "u1"));
        await cluster.ScoreAsync(WithModels(RootTestCluster.Request(user: "u9"), "m_a"));
        postgres.Stop();

        var u9After = await cluster.ScoreAsync(WithModels(RootTestCluster.Request(user: "u9"), "m_a", "m_b"));
        var u1After = await cluster.ScoreAsync(RootTestCluster.Request(user: "u1"));

        Assert.All(u9Before.Results.Concat(u1Before.Results), r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Equal(u9Before.Results.Select(Scores), u9After.Results.Select(Scores));
        Assert.Equal(u1Before.Results.Select(Scores), u1After.Results.Select(Scores));
        Assert.NotEqual(u9Before.Results.Select(Scores), u1Before.Results.Select(Scores));
        Assert.True(stale.Sum > 0, "the store did not fail: nothing was served stale");

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(RootTestCluster.Request(user: "u_new")));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("feature store unavailable", error.Status.Detail, StringComparison.Ordinal);

        var (status, body, _) = await PostJsonAsync(cluster, RootTestCluster.Request(user: "u_new_json"), timeoutMs: null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal((int)StatusCode.Unavailable, json.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("Unavailable", json.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("feature store unavailable", json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The client learns a correlation id, never the store's address; the request is counted as what it got.
        var id = Assert.IsType<string>(RootOutcomes.CorrelationOf(error));
        Assert.Equal($"feature store unavailable (correlation id {id})", error.Status.Detail);
        var jsonId = json.RootElement.GetProperty("correlation_id").GetString()!;
        Assert.Equal($"feature store unavailable (correlation id {jsonId})", json.RootElement.GetProperty("message").GetString());
        Assert.NotEqual(id, jsonId);
        Assert.DoesNotContain("127.0.0.1", error.Status.Detail + body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_StoreHung_WarmUsersServedStale_ColdRequestsEndAtTheirOwnDeadlines()
    {
        var defaultDeadline = TimeSpan.FromSeconds(1);
        using var postgres = new LocalPostgresServer();
        await using var cluster = await RootTestCluster.StartAsync(postgres: postgres, cacheTtlSeconds: 0.001, defaultDeadlineMs: (int)defaultDeadline.TotalMilliseconds);
        var before = await cluster.ScoreAsync(RootTestCluster.Request(user: "u1"));
        postgres.Pause();
        try
        {
            // Warm: its refresh never answers; the copies are served after the refresh wait.
            var after = await cluster.ScoreAsync(RootTestCluster.Request(user: "u1"), timeout: defaultDeadline);
            Assert.Equal(before.Results.Select(Scores), after.Results.Select(Scores));

            // Cold, over gRPC with no deadline of its own: the root's default deadline applies.
            var watch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<RpcException>(() =>
                cluster.Channel.CallAsync("arbor.v1.Root/Score", RootTestCluster.Request(user: "u_cold"), ScoreResponse.Parser, new RpcCallOptions(), Ct));
            Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
            Assert.True(watch.Elapsed < defaultDeadline + Margin, $"answered after {watch.Elapsed.TotalMilliseconds:0} ms");

            // Cold, over JSON: two requests for the same user wait on one store read; each ends at
            // its own deadline, and the shorter one does not cancel the read under the longer one
            // (a cancelled read would fail it as UNAVAILABLE, not DEADLINE_EXCEEDED).
            var shortDeadline = TimeSpan.FromMilliseconds(1000);
            var longDeadline = TimeSpan.FromMilliseconds(2500);
            var shorter = PostJsonAsync(cluster, RootTestCluster.Request(user: "u_cold_json"), (int)shortDeadline.TotalMilliseconds);
            var longer = PostJsonAsync(cluster, RootTestCluster.Request(user: "u_cold_json"), (int)longDeadline.TotalMilliseconds);
            var (shortStatus, shortBody, shortElapsed) = await shorter;
            var (longStatus, longBody, longElapsed) = await longer;

            Assert.True(shortStatus == HttpStatusCode.GatewayTimeout, $"{shortStatus}: {shortBody}");
            Assert.Contains("DeadlineExceeded", shortBody, StringComparison.Ordinal);
            Assert.True(shortElapsed < shortDeadline + Margin, $"answered after {shortElapsed.TotalMilliseconds:0} ms");
            Assert.True(longStatus == HttpStatusCode.GatewayTimeout, $"{longStatus}: {longBody}");
            Assert.InRange(longElapsed, longDeadline - TimeSpan.FromMilliseconds(100), longDeadline + Margin);
        }
        finally
        {
            postgres.Resume();
        }
    }

    private static ScoreRequest WithModels(ScoreRequest request, params string[] models)
    {
        foreach (var model in models)
        {
            request.Models.Add(new ModelSelector { Name = model });
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, string Body, TimeSpan Elapsed)> PostJsonAsync(RootTestCluster cluster, ScoreRequest request, int? timeoutMs)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/score")
        {
            Content = new StringContent(Google.Protobuf.JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json"),
        };
        if (timeoutMs is { } ms)
        {
            message.Headers.Add("x-arbor-timeout-ms", ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var watch = Stopwatch.StartNew();
        using var answer = await cluster.Http.SendAsync(message, Ct);
        var body = await answer.Content.ReadAsStringAsync(Ct);
        return (answer.StatusCode, body, watch.Elapsed);
    }

    private static string Scores(ModelResult result) =>
        string.Join(";", result.Candidates.Select(c => c.Id + "=" + string.Join(",", c.Scores.Select(s => BitConverter.SingleToInt32Bits(s)))));
}
