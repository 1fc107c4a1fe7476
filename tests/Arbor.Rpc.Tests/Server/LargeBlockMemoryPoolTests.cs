using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Arbor.Rpc.Server;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Rpc.Tests.Server;

public sealed class LargeBlockMemoryPoolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Rent_GivesBlocksOfThePoolsSize_AndReusesReturnedOnes()
    {
        using var pool = new LargeBlockMemoryPool(16 * 1024);

        var first = pool.Rent(100);
        var firstMemory = first.Memory;
        first.Dispose();
        var second = pool.Rent();
        var third = pool.Rent(pool.MaxBufferSize);

        Assert.Equal(16 * 1024, firstMemory.Length);
        Assert.True(second.Memory.Span.Overlaps(firstMemory.Span), "a returned block is handed out again");
        Assert.False(third.Memory.Span.Overlaps(second.Memory.Span));
        Assert.Equal(2, pool.BlocksAllocated);
    }

    [Fact]
    public void Rent_BeyondMaxLargeLent_LendsSmallBlocks_UntilLargeOnesComeBack()
    {
        using var pool = new LargeBlockMemoryPool(64 * 1024);
        var large = Enumerable.Range(0, LargeBlockMemoryPool.MaxLargeLent).Select(_ => pool.Rent()).ToList();

        var small = pool.Rent();
        var stillLarge = pool.Rent(LargeBlockMemoryPool.SmallBlockSize + 1);
        var lentAtPeak = pool.LargeBlocksLent;
        large[0].Dispose();
        stillLarge.Dispose();
        var largeAgain = pool.Rent();

        Assert.All(large.Skip(1), l => Assert.Equal(64 * 1024, l.Memory.Length));
        Assert.Equal(LargeBlockMemoryPool.SmallBlockSize, small.Memory.Length);
        Assert.Equal(64 * 1024, stillLarge.Memory.Length);
        Assert.Equal(LargeBlockMemoryPool.MaxLargeLent + 1, lentAtPeak);
        Assert.Equal(64 * 1024, largeAgain.Memory.Length);
        small.Dispose();
        largeAgain.Dispose();
        large.Skip(1).ToList().ForEach(l => l.Dispose());
        Assert.Equal(0, pool.LargeBlocksLent);
        Assert.Equal(LargeBlockMemoryPool.MaxRetained + 1, pool.BlocksRetained); // 128 large kept, 1 small
    }

    [Fact]
    public void Dispose_Twice_ReturnsTheBlockOnce()
    {
        using var pool = new LargeBlockMemoryPool(8 * 1024);
        var lease = pool.Rent();

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(1, pool.BlocksRetained);
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.False(a.Memory.Span.Overlaps(b.Memory.Span), "a block disposed twice must not be lent to two renters");
        Assert.Equal(2, pool.BlocksAllocated);
    }

    [Fact]
    public void Return_KeepsAtMostMaxRetained()
    {
        using var pool = new LargeBlockMemoryPool(4096);
        var leases = Enumerable.Range(0, LargeBlockMemoryPool.MaxRetained + 10).Select(_ => pool.Rent()).ToList();

        leases.ForEach(l => l.Dispose());

        Assert.Equal(LargeBlockMemoryPool.MaxRetained, pool.BlocksRetained);
    }

    [Fact]
    public void Factory_ReleaseFree_DropsTheLivePoolsFreeBlocks_AndForgetsDisposedPools()
    {
        var factory = new LargeBlockMemoryPool.Factory(4096);
        var first = factory.Create();
        var second = factory.Create();
        Enumerable.Range(0, 3).Select(_ => first.Rent()).ToList().ForEach(l => l.Dispose());
        var held = second.Rent();
        second.Rent().Dispose();

        var retainedBefore = factory.BlocksRetained;
        factory.ReleaseFree();
        var retainedAfter = factory.BlocksRetained;
        using var again = first.Rent();
        held.Dispose();
        second.Dispose();

        Assert.Equal(4, retainedBefore);
        Assert.Equal(0, retainedAfter);
        Assert.Equal(6, factory.BlocksAllocated); // 3 + 2, and one more after the release
        Assert.Equal(1, factory.PoolsLive);
        Assert.Equal(2, factory.PoolsCreated);
        first.Dispose();
        Assert.Equal(0, factory.PoolsLive);
    }

    [Fact]
    public void Rent_LargerThanABlock_OrAfterDispose_Throws()
    {
        var pool = new LargeBlockMemoryPool(4096);

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LargeBlockMemoryPool(RpcServerOptions.MinReceiveBlockSize - 1));
    }

    [Theory(Timeout = 60_000)]
    [InlineData(4096)]
    [InlineData(10_000)]
    [InlineData(64 * 1024)]
    [InlineData(1024 * 1024)]
    public async Task Kestrel_ReadsCallsIntoTheBlocks_AndGetsEveryByte(int blockSize)
    {
        await using var server = await RpcTestServer.StartAsync(o => o.ReceiveBlockSize = blockSize, captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        // Larger than several blocks and HTTP/2 frames: ~300 KB.
        var requests = Enumerable.Range(0, 4).Select(i => Payloads.LeafRequest(rows: 1100 + i, seed: i)).ToList();

        var responses = await Task.WhenAll(requests.Select(r => channel.UnaryAsync(LeafMethods.Score, r, cancellationToken: Ct)));

        var factory = Assert.IsType<LargeBlockMemoryPool.Factory>(server.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
        Assert.Equal(blockSize, factory.BlockSize);
        Assert.True(factory.PoolsCreated > 0, "Kestrel makes its pools with the factory");
        Assert.True(factory.BlocksAllocated > 0, "Kestrel reads into the factory's blocks");
        Assert.Equal(requests.Select(r => r.RowCount), responses.Select(r => r.RowCount));
        Assert.Equal(
            requests.Select(r => Convert.ToBase64String(r.ToByteArray())).Order(),
            server.Requests.Select(r => Convert.ToBase64String(r.Message.ToArray())).Order());
    }

    [Fact(Timeout = 60_000)]
    public async Task ReceiveBlockSize_Zero_LeavesKestrelsOwnPool()
    {
        await using var server = await RpcTestServer.StartAsync(o => o.ReceiveBlockSize = 0);
        using var channel = new RpcChannel(server.Address);

        var response = await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 1000), cancellationToken: Ct);

        Assert.Equal(1000u, response.RowCount);
        Assert.IsNotType<LargeBlockMemoryPool.Factory>(server.Services.GetService<IMemoryPoolFactory<byte>>());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(RpcServerOptions.MinReceiveBlockSize - 1)]
    [InlineData(RpcServerOptions.MaxReceiveBlockSize + 1)]
    public void ReceiveBlockSize_OutOfRange_IsRefused(int blockSize)
    {
        var options = new RpcServerOptions { ReceiveBlockSize = blockSize };

        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
    }
}
