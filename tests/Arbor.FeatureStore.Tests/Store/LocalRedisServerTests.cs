using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

using Arbor.Root.Store;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Tests.Store;

public sealed class LocalRedisServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_AnswersUntilPaused_TimesOutWhilePaused_AnswersAfterResume()
    {
        using var server = new LocalRedisServer();
        var options = ConfigurationOptions.Parse(server.ConnectionString);
        options.AsyncTimeout = 300;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var db = redis.GetDatabase();

        Assert.True(await db.StringSetAsync("k", "v1"));
        Assert.Equal("v1", (string?)await db.StringGetAsync("k"));

        TimeSpan elapsed;
        server.Pause();
        try
        {
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAsync<RedisTimeoutException>(async () => await db.StringGetAsync("k"));
            elapsed = watch.Elapsed;
        }
        finally
        {
            server.Resume();
        }

        // The client checks async timeouts on a heartbeat (about a second), so the bound allows for it.
        var bound = TimeSpan.FromMilliseconds(options.AsyncTimeout) + TimeSpan.FromSeconds(5);
        Assert.True(elapsed < bound, $"the paused call gave up after {elapsed.TotalMilliseconds:0} ms; bound {bound.TotalMilliseconds:0} ms");
        Assert.Equal("v1", (string?)await db.StringGetAsync("k"));
    }

    [Fact]
    public async Task Stop_RefusesConnections_StartServesTheSamePortEmpty()
    {
        using var server = new LocalRedisServer();
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            Assert.True(await redis.GetDatabase().StringSetAsync("k", "v1"));
        }

        server.Stop();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(IPAddress.Loopback, server.Port, Ct));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        server.Start();
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            Assert.True((await redis.GetDatabase().StringGetAsync("k")).IsNull);
            Assert.True(await redis.GetDatabase().StringSetAsync("k", "v2"));
        }
    }
}
