using System.Net;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Routing;
using Arbor.Root.Tests.Hosting;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.FanOut;

/// <summary>
/// Leaf replicas behind DNS names: re-resolution into the replica set, membership changes that keep
/// ejections, health-checked reinstatement, and retries on another replica when one is gone.
/// </summary>
public sealed class LeafDiscoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://10.0.0.1:7000", true, false)]
    [InlineData("https://leaf.example:7443", true, false)]
    [InlineData("dns:///leaf-homefeed.arbor.svc:7000", true, true)]
    [InlineData("dns:///leaf-homefeed.arbor.svc.cluster.local:7000", true, true)]
    [InlineData("dns://8.8.8.8/leaf:7000", false, false)]
    [InlineData("dns:///leaf", false, false)]
    [InlineData("dns:///leaf:0", false, false)]
    [InlineData("dns:///leaf:99999", false, false)]
    [InlineData("ftp://leaf:7000", false, false)]
    [InlineData("leaf:7000", false, false)]
    public void LeafEndpoint_ParsesAddressesAndDnsNames(string text, bool valid, bool dns)
    {
        Assert.Equal(valid, LeafEndpoint.TryParse(text, out var endpoint, out var problem));
        if (valid)
        {
            Assert.Equal(dns, endpoint.IsDns);
        }
        else
        {
            Assert.Contains(text, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Refresh_NewAddressesJoin_RemovedOnesLeaveAndTheirChannelsClose()
    {
        var resolver = new FakeResolver();
        resolver.Set("leafsvc", "10.0.0.1");
        using var pool = new LeafClientPool(TimeProvider.System, options: new LeafClientPoolOptions { Resolver = resolver });
        pool.Update(Table("dns:///leafsvc:7000"));

        Assert.Equal(["http://10.0.0.1:7000"], Addresses(pool));
        var first = Set(pool).Endpoints.Single();

        resolver.Set("leafsvc", "10.0.0.1", "10.0.0.2");
        await pool.RefreshAsync(Ct);
        Assert.Equal(["http://10.0.0.1:7000", "http://10.0.0.2:7000"], Addresses(pool));
        Assert.Same(first, Set(pool).Endpoints.First(c => c.Address.Host == "10.0.0.1"));

        resolver.Set("leafsvc", "10.0.0.2");
        await pool.RefreshAsync(Ct);
        Assert.Equal(["http://10.0.0.2:7000"], Addresses(pool));

        // The removed replica's channel closes once seen idle on two checks.
        Assert.Contains(first, pool.Channels);
        await pool.RefreshAsync(Ct);
        await pool.RefreshAsync(Ct);
        Assert.DoesNotContain(first, pool.Channels);
        Assert.Single(pool.Channels);
    }

    [Fact]
    public async Task Refresh_ResolutionFails_TheLastGoodReplicasStay()
    {
        var resolver = new FakeResolver();
        resolver.Set("leafsvc", "10.0.0.1", "10.0.0.2");
        using var pool = new LeafClientPool(TimeProvider.System, options: new LeafClientPoolOptions { Resolver = resolver });
        pool.Update(Table("dns:///leafsvc:7000"));

        resolver.Fail("leafsvc");
        await pool.RefreshAsync(Ct);

        Assert.Equal(["http://10.0.0.1:7000", "http://10.0.0.2:7000"], Addresses(pool));
    }

    [Fact]
    public void Update_NameWithoutAddressesYet_PartitionHasNoReplicas_FixedEndpointsStillServe()
    {
        var resolver = new FakeResolver();
        resolver.Fail("leafsvc");
        using var pool = new LeafClientPool(TimeProvider.System, options: new LeafClientPoolOptions { Resolver = resolver });
        pool.Update(Table("dns:///leafsvc:7000", "http://10.0.0.9:7000"));

        Assert.Equal(["http://10.0.0.9:7000"], Addresses(pool));
    }

    [Fact]
    public void Update_RoutingReload_KeepsTheReplicaSetAndItsEjections()
    {
        var time = new ManualTimeProvider();
        using var pool = new LeafClientPool(time, options: new LeafClientPoolOptions { HealthProbeInterval = null });
        pool.Update(Table("http://10.0.0.1:7000", "http://10.0.0.2:7000"));
        var set = Set(pool);
        var bad = set.Endpoints.First();
        for (var failures = 0; failures < ReplicaSet<RpcChannel>.FailuresToEject;)
        {
            using var lease = set.Pick();
            if (ReferenceEquals(lease.Endpoint, bad))
            {
                lease.Complete(success: false);
                failures++;
            }
        }

        Assert.Equal(1, set.EjectedCount());

        // Same partition, another model and one more replica: the set and its ejection stay.
        pool.Update(Table("http://10.0.0.1:7000", "http://10.0.0.2:7000", "http://10.0.0.3:7000"));

        Assert.Same(set, Set(pool));
        Assert.Equal(3, set.Count);
        Assert.Equal(1, set.EjectedCount());
        for (var i = 0; i < 50; i++)
        {
            using var lease = set.Pick();
            Assert.NotSame(bad, lease.Endpoint);
        }
    }

    [Fact]
    public async Task SystemResolver_LocalhostResolvesToLoopbackReplicas()
    {
        using var pool = new LeafClientPool(TimeProvider.System);
        pool.Update(Table("dns:///localhost:7000"));

        var addresses = Addresses(pool);
        var expected = (await Dns.GetHostAddressesAsync("localhost", Ct)).Select(ip => new LeafEndpoint("", null, "localhost", 7000).AddressOf(ip)).Distinct().Order();
        Assert.NotEmpty(addresses);
        Assert.Equal(expected, addresses);
        Assert.All(Set(pool).Endpoints, c => Assert.True(IPAddress.IsLoopback(IPAddress.Parse(c.Address.Host.Trim('[', ']')))));
    }

    [Fact]
    public async Task Root_DnsNameOfTheLeaf_Scores()
    {
        await using var cluster = await RootTestCluster.StartAsync(leafBEndpoints: leaf => $"dns:///localhost:{leaf.Port}");

        // localhost may also resolve to ::1 where nothing listens: the retry covers it.
        for (var i = 0; i < 20; i++)
        {
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        }

        Assert.NotEmpty(cluster.LeafB.Requests);
    }

    [Fact]
    public async Task Root_ReplicaRefusesConnections_CallsGoToAnotherReplica_CountedAsRetries()
    {
        var dead = $"http://127.0.0.1:{LoopbackPort.Next()}";
        await using var cluster = await RootTestCluster.StartAsync(leafBEndpoints: leaf => $"{dead}\", \"{leaf.Address}");
        var metrics = cluster.Services.GetRequiredService<RootMetrics>();

        const int Requests = 30;
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        }

        // Every call that went to the dead replica was retried; it is ejected after a few, and
        // health probes (not live calls) keep it out.
        Assert.InRange(metrics.LeafRetryCount, 1, ReplicaSet<RpcChannel>.FailuresToEject);
        Assert.Equal(Requests, cluster.LeafB.Requests.Count);
        Assert.True(cluster.Services.GetRequiredService<LeafClientPool>().TryGetPartition("pb", out var set));
        Assert.Equal(1, set.EjectedCount());
    }

    [Fact]
    public async Task Root_ReplicaNeverAnswersTheConnection_AttemptTimesOutAndTheCallGoesToAnotherReplica()
    {
        // A listener whose accept queue is full: the kernel drops further SYNs, so a connection
        // attempt gets no answer at all, as with a pod that is gone while its address is still in DNS.
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(0);
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        using var queued = new System.Net.Sockets.TcpClient();
        await queued.ConnectAsync(IPAddress.Loopback, port, Ct);

        // Leaf calls get 2 s; a connection attempt a quarter of that.
        await using var cluster = await RootTestCluster.StartAsync(leafTimeoutMs: 2000, leafBEndpoints: leaf => $"http://127.0.0.1:{port}\", \"{leaf.Address}");
        var metrics = cluster.Services.GetRequiredService<RootMetrics>();
        Assert.True(cluster.Services.GetRequiredService<LeafClientPool>().TryGetPartition("pb", out var set));
        for (var i = 0; set.EjectedCount() == 0; i++)
        {
            Assert.True(i < 50, "the silent replica is never ejected");
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {(Grpc.Core.StatusCode)r.Status.Code} {r.Status.Message}"));
        }

        Assert.InRange(metrics.LeafRetryCount, 1, ReplicaSet<RpcChannel>.FailuresToEject);
    }

    [Fact]
    public async Task Root_ReplicaAnswersUnavailable_TheCallGoesToAnotherReplica_TheReplicaStaysIn()
    {
        await using var starting = await FakeLeaf.StartAsync(RootTestCluster.Uses);
        starting.AnswerWith = Grpc.Core.StatusCode.Unavailable;
        await using var cluster = await RootTestCluster.StartAsync(leafBEndpoints: leaf => $"{starting.Address}\", \"{leaf.Address}");
        var metrics = cluster.Services.GetRequiredService<RootMetrics>();

        const int Requests = 20;
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {(Grpc.Core.StatusCode)r.Status.Code} {r.Status.Message}"));
        }

        // Every call it answered went on to the other replica; a model it does not serve yet is not
        // the replica's failure, so it is not ejected (its other models keep their traffic).
        Assert.True(starting.Requests.Count > 0, "the replica answering UNAVAILABLE got no call");
        Assert.Equal(starting.Requests.Count, metrics.LeafRetryCount);
        Assert.Equal(Requests, cluster.LeafB.Requests.Count);
        Assert.True(cluster.Services.GetRequiredService<LeafClientPool>().TryGetPartition("pb", out var set));
        Assert.Equal(0, set.EjectedCount());
    }

    [Fact]
    public async Task Root_ReplicaResetsTheCallsStream_TheCallGoesToAnotherReplica_CountedAsRetry()
    {
        // A stream reset mid-call (a connection that breaks while a replica stops or restarts): the
        // client makes INTERNAL of it, though the leaf sent no status; it is the replica's failure.
        await using var broken = await FakeLeaf.StartAsync(RootTestCluster.Uses);
        broken.ResetStreams = true;
        using (var direct = new RpcChannel(broken.Address))
        {
            var reset = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await new Arbor.Contracts.V1.Leaf.LeafClient(direct.Invoker)
                .ScoreAsync(new Arbor.Contracts.V1.LeafScoreRequest { Model = "mb" }, cancellationToken: Ct));
            Assert.Equal(Grpc.Core.StatusCode.Internal, reset.StatusCode);
        }

        broken.Requests.Clear();
        await using var cluster = await RootTestCluster.StartAsync(leafBEndpoints: leaf => $"{broken.Address}\", \"{leaf.Address}");
        var metrics = cluster.Services.GetRequiredService<RootMetrics>();

        const int Requests = 20;
        for (var i = 0; i < Requests; i++)
        {
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, $"{r.Model}: {(Grpc.Core.StatusCode)r.Status.Code} {r.Status.Message}"));
        }

        Assert.True(broken.Requests.Count > 0, "the replica resetting its streams got no call");
        Assert.Equal(broken.Requests.Count, metrics.LeafRetryCount);
        Assert.Equal(Requests, cluster.LeafB.Requests.Count);
    }

    [Fact]
    public void ConnectTimeout_DefaultsToAQuarterOfTheLeafTimeout_ConfiguredWins()
    {
        var config = new RootConfig { FeatureStore = new FeatureStoreConfig { Path = "unused.db" } };
        Assert.Equal(LeafConnectTimeout.WithoutLeafTimeout, LeafConnectTimeout.For(config));
        Assert.Equal(TimeSpan.FromMilliseconds(200), LeafConnectTimeout.For(config with { Limits = new LimitsConfig { LeafTimeoutMs = 800 } }));
        Assert.Equal(TimeSpan.FromMilliseconds(50), LeafConnectTimeout.For(config with { Limits = new LimitsConfig { LeafTimeoutMs = 800 }, FanOut = new FanOutConfig { ConnectTimeoutMs = 50 } }));
    }

    [Fact]
    public async Task Root_RestartedReplica_IsReinstatedByHealthCheckWithoutLiveTraffic()
    {
        var second = await FakeLeaf.StartAsync(RootTestCluster.Uses);
        var port = second.Port;
        await using var cluster = await RootTestCluster.StartAsync(leafBEndpoints: leaf => $"{leaf.Address}\", \"{second.Address}");
        Assert.True(cluster.Services.GetRequiredService<LeafClientPool>().TryGetPartition("pb", out var set));

        await second.DisposeAsync();
        for (var i = 0; set.EjectedCount() == 0; i++)
        {
            Assert.True(i < 200, "the stopped replica is never ejected");
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        }

        await using var restarted = await FakeLeaf.StartAsync(RootTestCluster.Uses, port);
        await Eventually.WaitUntilAsync(() => set.EjectedCount() == 0, "the restarted replica is reinstated", TimeSpan.FromSeconds(30), Ct);

        // Reinstated by the probe alone: no score call reached it before.
        Assert.Empty(restarted.Requests);
        for (var i = 0; restarted.Requests.IsEmpty; i++)
        {
            Assert.True(i < 200, "the reinstated replica gets no traffic");
            await cluster.ScoreAsync(RootTestCluster.Request());
        }
    }

    private static RoutingTable Table(params string[] endpoints) => RoutingTable.Build(new RootConfig
    {
        FeatureStore = new FeatureStoreConfig { Path = "unused.db" },
        Partitions = new() { ["p"] = new PartitionConfig { Endpoints = [.. endpoints] } },
        Models = new() { ["m"] = new ModelRouteConfig { Partition = "p" } },
        Surfaces = new() { ["home"] = new SurfaceConfig { Models = ["m"] } },
    });

    private static ReplicaSet<RpcChannel> Set(LeafClientPool pool) =>
        pool.TryGetPartition("p", out var set) ? set : throw new InvalidOperationException("no partition p");

    private static string[] Addresses(LeafClientPool pool) => [.. Set(pool).Endpoints.Select(c => c.Address.OriginalString).Order(StringComparer.Ordinal)];

    private sealed class FakeResolver : IEndpointResolver
    {
        private readonly Dictionary<string, IPAddress[]?> _names = [];

        public void Set(string host, params string[] addresses)
        {
            lock (_names)
            {
                _names[host] = [.. addresses.Select(IPAddress.Parse)];
            }
        }

        public void Fail(string host)
        {
            lock (_names)
            {
                _names[host] = null;
            }
        }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            lock (_names)
            {
                return _names.GetValueOrDefault(host) is { } addresses
                    ? Task.FromResult(addresses)
                    : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
            }
        }
    }
}
