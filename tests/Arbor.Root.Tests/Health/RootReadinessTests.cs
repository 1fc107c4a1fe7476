using System.Net;
using System.Text.Json;
using Arbor.Root.Configuration;
using Arbor.Root.Health;
using Arbor.Root.Store;
using Arbor.Root.Tests.Hosting;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Health;

/// <summary>
/// A real root whose readiness (<c>/readyz</c> and <c>grpc.health.v1.Health</c>) follows its
/// feature store and its leaf partitions, while liveness (<c>/healthz</c>) stays true.
/// </summary>
public sealed class RootReadinessTests
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readiness_StoreUnreachableAtStart_NotReadyButLive_ReadyOnceTheStoreAnswers()
    {
        // A file that is not a database: the store cannot be opened, so it cannot be initialised.
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: c => WithQuickChecks(c).Replace("\"path\": \"features.db\"", "\"path\": \"down.db\"", StringComparison.Ordinal),
            beforeStart: directory => File.WriteAllText(Path.Combine(directory, "down.db"), new string('x', 4096)));

        var (notReady, body) = await ReadyzAsync(cluster);
        var grpcBefore = await GrpcHealthAsync(cluster);
        using var live = await cluster.Admin.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady);
        Assert.Contains("feature store unreachable, not initialised", body.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("down.db", body.ToString(), StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpcBefore);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        // The store comes back: the next check initialises it, without a restart.
        File.Delete(Path.Combine(Path.GetDirectoryName(cluster.ConfigPath)!, "down.db"));
        await WaitForReadyzAsync(cluster, HttpStatusCode.OK);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(cluster));
        var response = await cluster.ScoreAsync(RootTestCluster.Request());
        Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
    }

    [Fact]
    public async Task Readiness_NotReadyOnOutage_StoreStopsAnswering_NotReady_ReadyAgainWhenItAnswers()
    {
        using var postgres = new LocalPostgresServer();
        await using var cluster = await RootTestCluster.StartAsync(postgres: postgres, editConfig: c => WithQuickChecks(c, ReadinessConfig.NotReady));
        Assert.Equal(HttpStatusCode.OK, (await ReadyzAsync(cluster)).Status);

        postgres.Pause();
        try
        {
            await WaitForReadyzAsync(cluster, HttpStatusCode.ServiceUnavailable);
            var (_, body) = await ReadyzAsync(cluster);
            Assert.StartsWith("not answering", body.GetProperty("feature_store").GetString(), StringComparison.Ordinal);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await GrpcHealthAsync(cluster));
        }
        finally
        {
            postgres.Resume();
        }

        await WaitForReadyzAsync(cluster, HttpStatusCode.OK);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(cluster));
    }

    [Fact]
    public async Task Readiness_NotReadyOnOutage_EveryReplicaOfAPartitionDown_NotReady_ReadyWhenOneReturns()
    {
        var dead = $"http://127.0.0.1:{LoopbackPort.Next()}";
        var second = await FakeLeaf.StartAsync(RootTestCluster.Uses);
        var port = second.Port;
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithQuickChecks(c, ReadinessConfig.NotReady), leafBEndpoints: _ => $"{dead}\", \"{second.Address}");
        var (readyAtStart, atStart) = await ReadyzAsync(cluster);
        Assert.Equal(HttpStatusCode.OK, readyAtStart);
        Assert.Equal("1 of 2 replicas ready", atStart.GetProperty("partitions").GetProperty("pb").GetString());

        await second.DisposeAsync();
        await WaitForReadyzAsync(cluster, HttpStatusCode.ServiceUnavailable);
        var (_, down) = await ReadyzAsync(cluster);
        Assert.Equal(["partition pb: 0 of 2 replicas ready"], down.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("1 of 1 replicas ready", down.GetProperty("partitions").GetProperty("pa").GetString());
        Assert.DoesNotContain("127.0.0.1", down.ToString(), StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await GrpcHealthAsync(cluster));
        var leaves = cluster.Services.GetRequiredService<LeafReadiness>();
        Assert.All(leaves.Partitions["pb"].Replicas, r => Assert.False(r.Ready));

        await using var restarted = await FakeLeaf.StartAsync(RootTestCluster.Uses, port);
        await WaitForReadyzAsync(cluster, HttpStatusCode.OK);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(cluster));
        Assert.Equal([false, true], leaves.Partitions["pb"].Replicas.OrderBy(r => r.Address == $"127.0.0.1:{port}").Select(r => r.Ready));
    }

    [Fact]
    public async Task Readiness_StayReady_StoreStopsAnswering_StaysReadyDegraded_WarmRequestsScore()
    {
        using var postgres = new LocalPostgresServer();
        await using var cluster = await RootTestCluster.StartAsync(postgres: postgres, editConfig: WithQuickChecks);
        Assert.Equal(HttpStatusCode.OK, (await ReadyzAsync(cluster)).Status);
        var request = RootTestCluster.Request();
        var before = await cluster.ScoreAsync(request);
        var store = cluster.Services.GetRequiredService<FeatureStoreReadiness>();

        postgres.Pause();
        try
        {
            await Eventually.WaitUntilAsync(() => !store.Current.Ready, "the store check fails", Recovery, Ct);
            var (status, body) = await ReadyzAsync(cluster);
            var during = await cluster.ScoreAsync(request);

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(body.GetProperty("ready").GetBoolean());
            Assert.StartsWith("feature store not answering", body.GetProperty("degraded")[0].GetString(), StringComparison.Ordinal);
            Assert.Empty(body.GetProperty("reasons").EnumerateArray());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(cluster));
            Assert.Equal(before.Results, during.Results); // served from the cache while the store is down
        }
        finally
        {
            postgres.Resume();
        }

        await Eventually.WaitUntilAsync(() => store.Current.Ready, "the store check passes", Recovery, Ct);
        Assert.Empty((await ReadyzAsync(cluster)).Body.GetProperty("degraded").EnumerateArray());
    }

    [Fact]
    public async Task Readiness_StayReady_OnePartitionDown_StaysReady_EveryPartitionDown_NotReady()
    {
        var a = await FakeLeaf.StartAsync(RootTestCluster.Uses);
        var b = await FakeLeaf.StartAsync(RootTestCluster.Uses);
        await using var cluster = await RootTestCluster.StartAsync(editConfig: WithQuickChecks, leafAEndpoints: _ => a.Address, leafBEndpoints: _ => b.Address);
        Assert.Equal(HttpStatusCode.OK, (await ReadyzAsync(cluster)).Status);
        var leaves = cluster.Services.GetRequiredService<LeafReadiness>();

        await b.DisposeAsync();
        await Eventually.WaitUntilAsync(() => !leaves.Partitions["pb"].State.Ready, "partition pb is seen down", Recovery, Ct);
        var (oneDown, body) = await ReadyzAsync(cluster);
        Assert.Equal(HttpStatusCode.OK, oneDown);
        Assert.Equal(["partition pb: 0 of 1 replicas ready"], body.GetProperty("degraded").EnumerateArray().Select(r => r.GetString()));
        Assert.DoesNotContain("127.0.0.1", body.ToString(), StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await GrpcHealthAsync(cluster));

        await a.DisposeAsync();
        await WaitForReadyzAsync(cluster, HttpStatusCode.ServiceUnavailable);
        var (_, none) = await ReadyzAsync(cluster);
        Assert.StartsWith("no routed partition has a ready replica", none.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await GrpcHealthAsync(cluster));
    }

    [Fact]
    public async Task Readiness_PartitionNoModelRoutesTo_DoesNotCount()
    {
        var dead = $"http://127.0.0.1:{LoopbackPort.Next()}";
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithQuickChecks(c).Replace(
            "\"partitions\": {", $"\"partitions\": {{ \"unused\": {{ \"endpoints\": [\"{dead}\"] }},", StringComparison.Ordinal));

        var (status, body) = await ReadyzAsync(cluster);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("partitions").TryGetProperty("unused", out _));
    }

    /// <summary>Checks every 50 ms, each bounded by 1 s, so recoveries show quickly.</summary>
    private static string WithQuickChecks(string config) => WithQuickChecks(config, ReadinessConfig.StayReady);

    private static string WithQuickChecks(string config, string dependencyOutage) => config.Replace(
        "\"schema\": \"arbor.root/v1\",",
        $"\"schema\": \"arbor.root/v1\", \"readiness\": {{ \"check_interval_ms\": 50, \"check_timeout_ms\": 1000, \"dependency_outage\": \"{dependencyOutage}\" }},",
        StringComparison.Ordinal);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyzAsync(RootTestCluster cluster)
    {
        using var response = await cluster.Admin.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, json.RootElement.Clone());
    }

    private static async Task WaitForReadyzAsync(RootTestCluster cluster, HttpStatusCode expected)
    {
        var status = HttpStatusCode.OK;
        await Eventually.WaitUntilAsync(
            () =>
            {
                status = ReadyzAsync(cluster).GetAwaiter().GetResult().Status;
                return status == expected;
            },
            $"/readyz answers {(int)expected}",
            Recovery,
            Ct);
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> GrpcHealthAsync(RootTestCluster cluster)
    {
        var response = await cluster.Channel.CallAsync(
            "grpc.health.v1.Health/Check", new HealthCheckRequest(), HealthCheckResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, Ct);
        return response.Status;
    }
}
