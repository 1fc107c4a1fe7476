using System.Diagnostics;
using Arbor.Leaf.Conversion;

namespace Arbor.Leaf.Inference;

/// <summary>
/// One request waiting in a <see cref="DynamicBatcher"/>: its converted rows and where its scores
/// go. A caller that cancels (the root gave up on the call) is answered at once, not when a worker
/// reaches the request: a stream the client reset stays open on the server until its handler
/// returns, and too many of them make Kestrel refuse streams with ENHANCE_YOUR_CALM and then drop
/// the whole connection.
/// </summary>
internal sealed class PendingScore : IDisposable
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int CancelledWhileQueued = 2;

    private readonly TaskCompletionSource<ScoreBuffer> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _registration;
    private int _state; // Queued, then Taken by a worker or CancelledWhileQueued: whichever comes first.

    public PendingScore(ConvertedBatch batch, DateTimeOffset? deadline, CancellationToken cancellationToken, long enqueuedAt, Activity? queueSpan)
    {
        Batch = batch;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        EnqueuedAt = enqueuedAt;
        QueueSpan = queueSpan;
        _registration = cancellationToken.UnsafeRegister(static state => ((PendingScore)state!).CancelQueued(), this);
    }

    public ConvertedBatch Batch { get; }

    public DateTimeOffset? Deadline { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>When it was queued (a <see cref="TimeProvider"/> timestamp).</summary>
    public long EnqueuedAt { get; }

    /// <summary>The request's <c>leaf.queue</c> span (null when nobody traces): it ends when the request leaves the queue.</summary>
    public Activity? QueueSpan { get; }

    public Task<ScoreBuffer> Task => _completion.Task;

    /// <summary>
    /// A worker takes the request to run it; false when its caller cancelled first (the caller may
    /// have released <see cref="Batch"/> already, so it must not be touched).
    /// </summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    public void Complete(ScoreBuffer scores)
    {
        _registration.Dispose();
        if (!_completion.TrySetResult(scores))
        {
            scores.Dispose();
        }
    }

    public void Fail(Exception error)
    {
        _registration.Dispose();
        _completion.TrySetException(error);
    }

    /// <summary>Cancels a request the worker took but will not run.</summary>
    public void Cancel() => _completion.TrySetCanceled(CancellationToken);

    public void Dispose() => _registration.Dispose();

    private void CancelQueued()
    {
        if (Interlocked.CompareExchange(ref _state, CancelledWhileQueued, Queued) == Queued)
        {
            _completion.TrySetCanceled(CancellationToken);
        }
    }
}
