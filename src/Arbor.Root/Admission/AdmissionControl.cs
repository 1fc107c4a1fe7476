namespace Arbor.Root.Admission;

/// <summary>
/// Bounds the score requests the root works on at once and those waiting for a turn, and refuses
/// early what could not finish before its deadline: a request that would start too late (its
/// expected wait in the queue plus the recent time a request holds its turn reaches past its
/// deadline) is refused at once, and a queued request gives up its place as soon as starting could
/// no longer finish in time. Refused requests cost no feature fetch and no leaf call, so an
/// overloaded root spends its cores on requests that can still succeed.
/// </summary>
public sealed class AdmissionControl : IDisposable
{
    // Weight of the newest sample in the moving average of the time a request holds its turn.
    private const double ServiceSmoothing = 1.0 / 8;

    private readonly SemaphoreSlim _slots;
    private readonly AdmissionMetrics _metrics;
    private readonly TimeProvider _time;
    private int _inFlight;
    private int _queued;
    private long _serviceTicks;

    public AdmissionControl(AdmissionOptions options, AdmissionMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxQueued);
        Options = options;
        _metrics = metrics;
        _time = time;
        _slots = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
    }

    public AdmissionOptions Options { get; }

    /// <summary>Requests being worked on now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Requests waiting for a turn now.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Recent time a request holds its turn (moving average); zero before the first one finished.</summary>
    public TimeSpan ServiceTime => TimeSpan.FromTicks(Volatile.Read(ref _serviceTicks));

    /// <summary>
    /// Takes a turn for a request due at <paramref name="deadline"/>, waiting in the queue while every
    /// slot is busy; dispose the turn when the request is done.
    /// </summary>
    /// <exception cref="AdmissionRejectedException">The queue is full, or the request could not start in time to finish before its deadline.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled while waiting.</exception>
    public async ValueTask<Turn> EnterAsync(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return Start();
        }

        var position = Interlocked.Increment(ref _queued);
        _metrics.Queued(1);
        try
        {
            if (position > Options.MaxQueued)
            {
                throw Reject(AdmissionRejection.QueueFull, $"the root is overloaded: {Options.MaxInFlight} requests in flight and {Options.MaxQueued} queued");
            }

            // Starting later than this cannot finish before the deadline (as far as recent requests tell).
            var service = ServiceTime;
            var latestStart = deadline - service;
            var now = _time.GetUtcNow();
            var expectedWait = service * ((double)position / Options.MaxInFlight);
            if (now + expectedWait > latestStart)
            {
                throw Reject(AdmissionRejection.Deadline, $"the root is overloaded: the request would wait about {expectedWait.TotalMilliseconds:0} ms for a turn and take about {service.TotalMilliseconds:0} ms, past its deadline");
            }

            var allowed = latestStart - now;
            if (!await _slots.WaitAsync(allowed > MaxWait ? MaxWait : allowed, cancellationToken).ConfigureAwait(false))
            {
                throw Reject(AdmissionRejection.Deadline, "the root is overloaded: no turn came in time to finish before the request's deadline");
            }

            return Start();
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
            _metrics.Queued(-1);
        }
    }

    public void Dispose() => _slots.Dispose();

    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(int.MaxValue);

    private Turn Start()
    {
        Interlocked.Increment(ref _inFlight);
        _metrics.InFlight(1);
        return new Turn(this, _time.GetTimestamp());
    }

    private void Leave(long started)
    {
        var elapsed = _time.GetElapsedTime(started).Ticks;
        var previous = Volatile.Read(ref _serviceTicks);
        // Racing updates may lose a sample; the average only steers admission.
        Volatile.Write(ref _serviceTicks, previous == 0 ? elapsed : previous + (long)((elapsed - previous) * ServiceSmoothing));
        Interlocked.Decrement(ref _inFlight);
        _metrics.InFlight(-1);
        _slots.Release();
    }

    private AdmissionRejectedException Reject(AdmissionRejection reason, string message)
    {
        _metrics.Rejected(reason);
        return new AdmissionRejectedException(reason, message);
    }

    /// <summary>A request's turn; disposing it gives the slot to the next queued request.</summary>
    public readonly struct Turn : IDisposable
    {
        private readonly AdmissionControl? _owner;
        private readonly long _started;

        internal Turn(AdmissionControl owner, long started)
        {
            _owner = owner;
            _started = started;
        }

        public void Dispose() => _owner?.Leave(_started);
    }
}
