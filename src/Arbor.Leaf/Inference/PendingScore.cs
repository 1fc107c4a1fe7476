using System.Diagnostics;
using Arbor.Leaf.Conversion;

namespace Arbor.Leaf.Inference;

/// <summary>One request waiting in a <see cref="DynamicBatcher"/>: its converted rows and where its scores go.</summary>
internal sealed class PendingScore(ConvertedBatch batch, DateTimeOffset? deadline, CancellationToken cancellationToken, long enqueuedAt, Activity? queueSpan)
{
    private readonly TaskCompletionSource<ScoreBuffer> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConvertedBatch Batch { get; } = batch;

    public DateTimeOffset? Deadline { get; } = deadline;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>When it was queued (a <see cref="TimeProvider"/> timestamp).</summary>
    public long EnqueuedAt { get; } = enqueuedAt;

    /// <summary>The request's <c>leaf.queue</c> span (null when nobody traces): it ends when the request leaves the queue.</summary>
    public Activity? QueueSpan { get; } = queueSpan;

    public Task<ScoreBuffer> Task => _completion.Task;

    public void Complete(ScoreBuffer scores)
    {
        if (!_completion.TrySetResult(scores))
        {
            scores.Dispose();
        }
    }

    public void Fail(Exception error) => _completion.TrySetException(error);

    public void Cancel() => _completion.TrySetCanceled(CancellationToken);
}
