using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Arbor.Rpc.Server;

/// <summary>
/// The memory pool Kestrel reads sockets into and writes responses from, with larger blocks than
/// its own 4 KiB (<see cref="RpcServerOptions.ReceiveBlockSize"/>). Kestrel's socket transport
/// reads into one block per receive call, so with 4 KiB blocks a 192 KiB leaf request costs ~48
/// receive calls, pipe flushes and wake-ups of the HTTP/2 reader; with 64 KiB blocks, 3. Blocks are
/// pinned arrays (the pinned object heap, as Kestrel's own), each with its owner object, and are
/// kept for reuse up to <see cref="MaxRetained"/> per pool; more in use at once are allocated and
/// left to the collector when returned. <see cref="Factory.ReleaseFree"/> drops the free ones (the
/// root does when idle after a burst).
/// </summary>
public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Free blocks one pool keeps.</summary>
    public const int MaxRetained = 128;

    private readonly ConcurrentStack<Block> free = new();
    private readonly int blockSize;
    private readonly Factory? factory;
    private int retained;
    private long allocated;
    private int disposed;

    public LargeBlockMemoryPool(int blockSize)
        : this(blockSize, null)
    {
    }

    private LargeBlockMemoryPool(int blockSize, Factory? factory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, RpcServerOptions.MinReceiveBlockSize);
        this.blockSize = blockSize;
        this.factory = factory;
    }

    public override int MaxBufferSize => blockSize;

    /// <summary>Blocks this pool has allocated since it was made.</summary>
    public long BlocksAllocated => Interlocked.Read(ref allocated);

    /// <summary>Free blocks held for reuse now.</summary>
    public int BlocksRetained => Volatile.Read(ref retained);

    /// <summary>A block of the pool's size; <paramref name="minBufferSize"/> may not exceed it.</summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, blockSize);
        if (free.TryPop(out var block))
        {
            Interlocked.Decrement(ref retained);
        }
        else
        {
            Interlocked.Increment(ref allocated);
            factory?.Allocated();
            block = new Block(this, GC.AllocateUninitializedArray<byte>(blockSize, pinned: true));
        }

        block.Lease();
        return block;
    }

    private void Return(Block block)
    {
        if (Volatile.Read(ref disposed) == 0 && Interlocked.Increment(ref retained) <= MaxRetained)
        {
            free.Push(block);
            return;
        }

        Interlocked.Decrement(ref retained);
    }

    /// <summary>Drops the free blocks, for the collector to take; blocks in use come back as usual.</summary>
    public void ReleaseFree()
    {
        while (free.TryPop(out _))
        {
            Interlocked.Decrement(ref retained);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            ReleaseFree();
            factory?.Forget(this);
        }
    }

    /// <summary>One block and its owner; returned to the pool when its lease is disposed, once.</summary>
    private sealed class Block(LargeBlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private int leased;

        public Memory<byte> Memory => array;

        public void Lease() => Volatile.Write(ref leased, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref leased, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }

    /// <summary>
    /// What Kestrel resolves to make its pools (<see cref="IMemoryPoolFactory{T}"/>): a
    /// <see cref="LargeBlockMemoryPool"/> each time it asks.
    /// </summary>
    public sealed class Factory(int blockSize) : IMemoryPoolFactory<byte>
    {
        private readonly ConcurrentDictionary<LargeBlockMemoryPool, byte> live = new(ReferenceEqualityComparer.Instance);
        private long pools;
        private long allocated;

        /// <summary>Bytes per block of the pools made.</summary>
        public int BlockSize => blockSize;

        /// <summary>Pools made so far.</summary>
        public long PoolsCreated => Interlocked.Read(ref pools);

        /// <summary>Pools made and not yet disposed.</summary>
        public int PoolsLive => live.Count;

        /// <summary>Blocks the pools made so far have allocated.</summary>
        public long BlocksAllocated => Interlocked.Read(ref allocated);

        /// <summary>Free blocks the live pools hold now.</summary>
        public int BlocksRetained => live.Keys.Sum(p => p.BlocksRetained);

        public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
        {
            Interlocked.Increment(ref pools);
            var pool = new LargeBlockMemoryPool(blockSize, this);
            live.TryAdd(pool, 0);
            return pool;
        }

        /// <summary>
        /// Drops every live pool's free blocks (<see cref="LargeBlockMemoryPool.ReleaseFree"/>): what a
        /// server does when idle after a burst, before a full collection gives the memory back.
        /// </summary>
        public void ReleaseFree()
        {
            foreach (var pool in live.Keys)
            {
                pool.ReleaseFree();
            }
        }

        internal void Allocated() => Interlocked.Increment(ref allocated);

        internal void Forget(LargeBlockMemoryPool pool) => live.TryRemove(pool, out _);
    }
}
