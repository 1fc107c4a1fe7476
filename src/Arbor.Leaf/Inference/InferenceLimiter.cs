namespace Arbor.Leaf.Inference;

/// <summary>
/// Bounds how many forwards run at once in a partition (one slot per forward, merged batch or
/// not), so a burst queues instead of oversubscribing the cores.
/// </summary>
public sealed class InferenceLimiter : IDisposable
{
    private readonly SemaphoreSlim _slots;

    public InferenceLimiter(int concurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        Concurrency = concurrency;
        _slots = new SemaphoreSlim(concurrency, concurrency);
    }

    public int Concurrency { get; }

    /// <summary>Forwards running now.</summary>
    public int Busy => Concurrency - _slots.CurrentCount;

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async ValueTask<Slot> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>One held inference slot.</summary>
    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots?.Release();
    }
}
