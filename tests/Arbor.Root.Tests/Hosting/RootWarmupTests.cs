using System.Net;
using System.Text.Json;
using Arbor.Root.Diagnostics;
using Arbor.Root.Hosting;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// A real root with its start-up warm-up on: not ready while it warms, ready after, and nothing the
/// warm-up did shows as traffic, in the shared cache or in the scores of real requests.
/// </summary>
public sealed class RootWarmupTests
{
    private const string WarmupOn = """{ "enabled": true, "max_seconds": 10 }""";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Warmup_NotReadyWhileWarming_ReadyAfter_CountedApartFromTraffic_ScoresUnchanged()
    {
        // Leaf B holds every call, so the warm-up cannot end before the test has seen it running.
        await using var warmed = await RootTestCluster.StartAsync(warmup: WarmupOn, leafBEndpoints: leaf =>
        {
            leaf.Hold();
            return leaf.Address;
        });
        await Eventually.WaitUntilAsync(() => !warmed.LeafB.Requests.IsEmpty, "a warm-up call reaches leaf B", Patience, Ct);

        var (warming, warmingBody) = await ReadyzAsync(warmed);
        var grpcWarming = await GrpcHealthAsync(warmed);
        warmed.LeafB.Release();
        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(warmed)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var grpcReady = await GrpcHealthAsync(warmed);
        var stats = await StatsAsync(warmed);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, warming);
        Assert.Contains("warming up", warmingBody.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpcWarming);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, grpcReady);
        var warmup = stats.GetProperty("warmup");
        Assert.Equal("done", warmup.GetProperty("state").GetString());
        Assert.True(warmup.GetProperty("requests").GetInt32() > 0);
        Assert.Equal(0, warmup.GetProperty("failed").GetInt32());
        Assert.True(warmup.GetProperty("cpu_us_per_candidate").GetArrayLength() > 0);
        Assert.Equal(0, stats.GetProperty("requests").GetInt64());
        Assert.Equal(0, stats.GetProperty("candidates").GetInt64());
        Assert.Equal(0, stats.GetProperty("model_results").GetInt64());
        Assert.Equal(0, stats.GetProperty("trimmed_calls").GetInt64() + stats.GetProperty("untrimmed_calls").GetInt64());
        Assert.Equal(0, stats.GetProperty("cache_entries").GetInt64());
        Assert.Equal(0, warmed.Services.GetRequiredService<RootMetrics>().RequestCount);

        // The same request scores bit-identically on a root that never warmed up.
        await using var cold = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        var afterWarmup = await warmed.ScoreAsync(request);
        var withoutWarmup = await cold.ScoreAsync(request);
        Assert.Equal(withoutWarmup.ToByteArray(), afterWarmup.ToByteArray());
        Assert.Equal(1, warmed.Services.GetRequiredService<RootMetrics>().RequestCount);
    }

    [Fact]
    public async Task Warmup_LeafRefusesEveryCall_EndsAfterMaxFailures_AndTheRootBecomesReady()
    {
        await using var cluster = await RootTestCluster.StartAsync(warmup: WarmupOn, leafBEndpoints: leaf =>
        {
            leaf.AnswerWith = StatusCode.Internal;
            return leaf.Address;
        });

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");

        Assert.Equal("done", warmup.GetProperty("state").GetString());
        Assert.False(warmup.GetProperty("flat").GetBoolean());
        Assert.Equal(RootWarmup.MaxFailures, warmup.GetProperty("failed").GetInt32());
        Assert.InRange(warmup.GetProperty("requests").GetInt32(), RootWarmup.MaxFailures, 3 * RootWarmup.MaxFailures);
        Assert.Contains($"stopped after {RootWarmup.MaxFailures} failed requests (last: m_b: Internal)", warmup.GetProperty("outcome").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warmup_Off_ReadyWithoutWarmupRequests()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");

        Assert.Equal("off", warmup.GetProperty("outcome").GetString());
        Assert.Equal(0, warmup.GetProperty("requests").GetInt32());
        Assert.True(cluster.LeafA.Requests.IsEmpty);
        Assert.True(cluster.LeafB.Requests.IsEmpty);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyzAsync(RootTestCluster cluster)
    {
        using var response = await cluster.Admin.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, json.RootElement.Clone());
    }

    private static async Task<JsonElement> StatsAsync(RootTestCluster cluster)
    {
        using var json = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct));
        return json.RootElement.Clone();
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> GrpcHealthAsync(RootTestCluster cluster)
    {
        var response = await cluster.Channel.CallAsync(
            "grpc.health.v1.Health/Check", new HealthCheckRequest(), HealthCheckResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, Ct);
        return response.Status;
    }
}
