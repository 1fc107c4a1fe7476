namespace Arbor.Leaf.Inference;

/// <summary>
/// Bounds how many forwards run at once in a partition (one slot per forward, merged batch or
/// not), so a burst queues instead of oversubscribing the cores, and how many requests may wait
/// for a slot: one more is shed at once (<see cref="LeafOverloadedException"/>, RESOURCE_EXHAUSTED)
/// rather than queued behind work the cores cannot finish in time.
/// </summary>
public sealed class InferenceLimiter : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private int _queued;

    public InferenceLimiter(int concurrency, int maxQueued = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        Concurrency = concurrency;
        MaxQueued = maxQueued;
        _slots = new SemaphoreSlim(concurrency, concurrency);
    }

    public int Concurrency { get; }

    /// <summary>Requests that may wait for a slot at once.</summary>
    public int MaxQueued { get; }

    /// <summary>Forwards running now.</summary>
    public int Busy => Concurrency - _slots.CurrentCount;

    /// <summary>Requests waiting for a slot now.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Waits for a slot as one queued request; dispose the result to give the slot back.</summary>
    /// <exception cref="LeafOverloadedException">Every slot is busy and <see cref="MaxQueued"/> requests already wait.</exception>
    public async ValueTask<Slot> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return new Slot(_slots);
        }

        EnterQueue();
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new Slot(_slots);
        }
        finally
        {
            LeaveQueue();
        }
    }

    /// <summary>Waits for a slot for work already counted as queued (<see cref="EnterQueue"/>): a batcher's worker.</summary>
    internal async ValueTask<Slot> AcquireQueuedAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(_slots);
    }

    /// <summary>Counts one more waiting request, or sheds it when the queue is full.</summary>
    /// <exception cref="LeafOverloadedException">The queue is full.</exception>
    internal void EnterQueue()
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            throw new LeafOverloadedException($"the leaf is overloaded: {Concurrency} forwards running and {MaxQueued} requests queued");
        }
    }

    internal void LeaveQueue() => Interlocked.Decrement(ref _queued);

    public void Dispose() => _slots.Dispose();

    /// <summary>One held inference slot.</summary>
    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots?.Release();
    }
}
