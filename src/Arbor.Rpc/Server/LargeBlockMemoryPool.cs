using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Arbor.Rpc.Server;

/// <summary>
/// The memory pool Kestrel reads sockets into and writes responses from, with larger blocks than
/// its own 4 KiB (<see cref="RpcServerOptions.ReceiveBlockSize"/>). Kestrel's socket transport
/// reads into one block per receive call, so with 4 KiB blocks a 192 KiB leaf request costs ~48
/// receive calls, pipe flushes and wake-ups of the HTTP/2 reader; with 64 KiB blocks, 3.
/// <para>
/// A connection holds its block while part of a frame waits in it, so many slow or idle-after-one-
/// byte connections would each hold a large block: a pool lends at most <see cref="MaxLargeLent"/>
/// large blocks at once and, beyond, blocks of Kestrel's own <see cref="SmallBlockSize"/>, so that
/// such connections cost what they cost with Kestrel's pool once the large blocks are out.
/// </para>
/// Blocks are pinned arrays (the pinned object heap, as Kestrel's own), each with its owner object,
/// kept for reuse up to <see cref="MaxRetained"/> per size and pool; more in use at once are
/// allocated and left to the collector when returned. <see cref="Factory.ReleaseFree"/> drops the
/// free ones (the root does when idle after a burst).
/// </summary>
public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Free blocks one pool keeps, per block size.</summary>
    public const int MaxRetained = 128;

    /// <summary>Large blocks one pool lends at once (16 MiB of 64 KiB blocks); beyond, it lends <see cref="SmallBlockSize"/> blocks.</summary>
    public const int MaxLargeLent = 256;

    /// <summary>The size of the blocks lent beyond <see cref="MaxLargeLent"/>: Kestrel's own.</summary>
    public const int SmallBlockSize = RpcServerOptions.MinReceiveBlockSize;

    private readonly Tier large;
    private readonly Tier small;
    private readonly Factory? factory;
    private int largeLent;
    private int disposed;

    public LargeBlockMemoryPool(int blockSize)
        : this(blockSize, null)
    {
    }

    private LargeBlockMemoryPool(int blockSize, Factory? factory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, RpcServerOptions.MinReceiveBlockSize);
        large = new Tier(blockSize);
        small = new Tier(SmallBlockSize);
        this.factory = factory;
    }

    public override int MaxBufferSize => large.Size;

    /// <summary>Blocks this pool has allocated since it was made, of either size.</summary>
    public long BlocksAllocated => large.Allocated + small.Allocated;

    /// <summary>Free blocks held for reuse now, of either size.</summary>
    public int BlocksRetained => large.Retained + small.Retained;

    /// <summary>Large blocks lent now.</summary>
    public int LargeBlocksLent => Volatile.Read(ref largeLent);

    /// <summary>
    /// A block of the pool's size, or of <see cref="SmallBlockSize"/> when
    /// <see cref="MaxLargeLent"/> large ones are out and <paramref name="minBufferSize"/> fits a
    /// small one; <paramref name="minBufferSize"/> may not exceed the pool's size.
    /// </summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, large.Size);
        var lent = Interlocked.Increment(ref largeLent);
        if (lent > MaxLargeLent && minBufferSize <= SmallBlockSize && large.Size > SmallBlockSize)
        {
            Interlocked.Decrement(ref largeLent);
            return small.Rent(this);
        }

        return large.Rent(this);
    }

    private void Return(Block block)
    {
        if (block.Tier == large)
        {
            Interlocked.Decrement(ref largeLent);
        }

        block.Tier.Return(block, Volatile.Read(ref disposed) == 0);
    }

    /// <summary>Drops the free blocks, for the collector to take; blocks in use come back as usual.</summary>
    public void ReleaseFree()
    {
        large.ReleaseFree();
        small.ReleaseFree();
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            ReleaseFree();
            factory?.Forget(this);
        }
    }

    /// <summary>The blocks of one size: the free ones and the counts.</summary>
    private sealed class Tier(int size)
    {
        private readonly ConcurrentStack<Block> free = new();
        private int retained;
        private long allocated;

        public int Size => size;

        public long Allocated => Interlocked.Read(ref allocated);

        public int Retained => Volatile.Read(ref retained);

        public Block Rent(LargeBlockMemoryPool pool)
        {
            if (free.TryPop(out var block))
            {
                Interlocked.Decrement(ref retained);
            }
            else
            {
                Interlocked.Increment(ref allocated);
                pool.factory?.Allocated();
                block = new Block(pool, this, GC.AllocateUninitializedArray<byte>(size, pinned: true));
            }

            block.Lease();
            return block;
        }

        public void Return(Block block, bool keep)
        {
            if (!keep)
            {
                return;
            }

            if (Interlocked.Increment(ref retained) <= MaxRetained)
            {
                free.Push(block);
                return;
            }

            Interlocked.Decrement(ref retained);
        }

        public void ReleaseFree()
        {
            while (free.TryPop(out _))
            {
                Interlocked.Decrement(ref retained);
            }
        }
    }

    /// <summary>One block and its owner; returned to its pool when its lease is disposed, once.</summary>
    private sealed class Block(LargeBlockMemoryPool pool, Tier tier, byte[] array) : IMemoryOwner<byte>
    {
        private int leased;

        public Tier Tier => tier;

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
