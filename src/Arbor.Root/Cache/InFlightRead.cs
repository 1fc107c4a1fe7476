namespace Arbor.Root.Cache;

/// <summary>
/// A store read in progress that other requests missing the same entities may join. The read runs
/// detached from every caller; it is cancelled (through <see cref="Abandoned"/>) only once no request
/// waits for it any more, so a request that stops waiting at its own deadline never fails the read
/// for the requests still waiting.
/// </summary>
internal sealed class InFlightRead
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _abandoned = new();
    private int _waiters = 1;

    /// <param name="mask">The features it fetches.</param>
    /// <param name="result">Completes with the merged entries of the entities it read, or the store's error.</param>
    public InFlightRead(ulong[] mask, TaskCompletionSource<IReadOnlyDictionary<string, CachedEntity>> result)
    {
        Mask = mask;
        Completion = result;
    }

    /// <summary>The features it fetches.</summary>
    public ulong[] Mask { get; }

    public TaskCompletionSource<IReadOnlyDictionary<string, CachedEntity>> Completion { get; }

    /// <summary>Completes with the merged entries of the entities it read, or the store's error.</summary>
    public Task<IReadOnlyDictionary<string, CachedEntity>> Result => Completion.Task;

    /// <summary>Fires once every request that waited for the read has stopped waiting before it finished.</summary>
    public CancellationToken Abandoned => _abandoned.Token;

    /// <summary>Registers one more waiter (the request that starts the read is the first); false once the read was abandoned.</summary>
    public bool TryJoin()
    {
        lock (_gate)
        {
            if (_waiters == 0)
            {
                return false;
            }

            _waiters++;
            return true;
        }
    }

    /// <summary>One waiter stops waiting (with the result or without it). The last one to leave an unfinished read cancels it.</summary>
    public void Leave()
    {
        lock (_gate)
        {
            if (--_waiters > 0 || Result.IsCompleted)
            {
                return;
            }
        }

        // Callbacks (a driver sending a cancel request) run off the waiter's thread.
        _ = _abandoned.CancelAsync();
    }
}
