using System.Diagnostics;
using System.Threading.Channels;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;

namespace Arbor.Leaf.Inference;

/// <summary>
/// Merges concurrent requests for one model version into fewer, larger forwards. A worker takes
/// the first queued request, waits for an inference slot (requests keep queueing meanwhile), then
/// takes whatever else has queued up to the row limit, optionally waiting <see cref="BatchingOptions.MaxDelay"/>
/// for more. An idle leaf therefore adds no latency; a busy one batches by itself.
/// </summary>
internal sealed class DynamicBatcher : IAsyncDisposable
{
    private readonly Channel<PendingScore> _queue = Channel.CreateUnbounded<PendingScore>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ModelRunner _runner;
    private readonly InferenceLimiter _limiter;
    private readonly BatchingOptions _options;
    private readonly TimeProvider _time;
    private readonly Task[] _workers;

    public DynamicBatcher(ModelRunner runner, InferenceLimiter limiter, BatchingOptions options, TimeProvider time)
    {
        _runner = runner;
        _limiter = limiter;
        _options = options;
        _time = time;
        _workers = new Task[limiter.Concurrency];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    public Task<ScoreBuffer> ScoreAsync(ConvertedBatch batch, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        _limiter.EnterQueue();
        var queueSpan = LeafTracing.Source.StartActivity("leaf.queue");
        if (queueSpan is not null)
        {
            // The span belongs to the request's trace but ends on a worker: it must not stay current here.
            Activity.Current = queueSpan.Parent;
        }

        var pending = new PendingScore(batch, deadline, cancellationToken, _time.GetTimestamp(), queueSpan);
        if (!_queue.Writer.TryWrite(pending))
        {
            _limiter.LeaveQueue();
            pending.Dispose();
            queueSpan?.Dispose();
            throw new ObjectDisposedException(nameof(DynamicBatcher), "the model version is unloading");
        }

        return pending.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private async Task WorkAsync()
    {
        var reader = _queue.Reader;
        var group = new List<PendingScore>();
        PendingScore? carried = null;
        while (carried is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            using var slot = await _limiter.AcquireQueuedAsync(CancellationToken.None).ConfigureAwait(false);
            group.Clear();
            var rows = 0;
            if (carried is not null)
            {
                group.Add(carried);
                rows = carried.Batch.RowCount;
                carried = null;
            }

            carried = Drain(reader, group, ref rows);
            if (carried is null && rows < _options.MaxBatchRows && _options.MaxDelay > TimeSpan.Zero && group.Count > 0)
            {
                carried = await WaitForMoreAsync(reader, group, rows).ConfigureAwait(false);
            }

            if (group.Count > 0)
            {
                Run(group);
            }
        }
    }

    // Takes every live queued request that fits; returns the first that does not (for the next round).
    private PendingScore? Drain(ChannelReader<PendingScore> reader, List<PendingScore> group, ref int rows)
    {
        while (rows < _options.MaxBatchRows && reader.TryRead(out var next))
        {
            _limiter.LeaveQueue();
            if (!IsLive(next))
            {
                continue;
            }

            if (group.Count > 0 && rows + next.Batch.RowCount > _options.MaxBatchRows)
            {
                return next;
            }

            group.Add(next);
            rows += next.Batch.RowCount;
        }

        return null;
    }

    private async Task<PendingScore?> WaitForMoreAsync(ChannelReader<PendingScore> reader, List<PendingScore> group, int rows)
    {
        using var window = new CancellationTokenSource(_options.MaxDelay, _time);
        try
        {
            while (rows < _options.MaxBatchRows && await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
            {
                if (Drain(reader, group, ref rows) is { } carried)
                {
                    return carried;
                }
            }
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested)
        {
            // The batching window closed: run what we have.
        }

        return null;
    }

    private bool IsLive(PendingScore pending)
    {
        if (!pending.TryTake())
        {
            // Cancelled while queued: its caller has gone already, its rows with it.
            pending.QueueSpan?.Dispose();
            return false;
        }

        if (pending.CancellationToken.IsCancellationRequested)
        {
            pending.QueueSpan?.Dispose();
            pending.Cancel();
            return false;
        }

        if (pending.Deadline is { } deadline && _time.GetUtcNow() >= deadline)
        {
            _runner.Metrics.DeadlineSkipped(_runner.Model, _runner.Version);
            pending.QueueSpan?.Dispose();
            pending.Fail(new DeadlineExceededException());
            return false;
        }

        return true;
    }

    private void Run(List<PendingScore> group)
    {
        Activity[]? forwardSpans = null;
        for (var i = 0; i < group.Count; i++)
        {
            var pending = group[i];
            _runner.Metrics.Queued(_runner.Model, _runner.Version, _time.GetElapsedTime(pending.EnqueuedAt).TotalSeconds);
            if (pending.QueueSpan is { } queueSpan)
            {
                queueSpan.Dispose();
                var forward = LeafTracing.Source.StartActivity("leaf.forward", ActivityKind.Internal, queueSpan.Parent?.Context ?? default(ActivityContext));
                if (forward is not null)
                {
                    forward.SetTag("arbor.batch.requests", group.Count);
                    (forwardSpans ??= new Activity[group.Count])[i] = forward;
                }
            }
        }

        // The forward spans are not current on this worker thread; each belongs to its request's trace.
        Activity.Current = null;
        try
        {
            RunGroup(group);
        }
        finally
        {
            if (forwardSpans is not null)
            {
                foreach (var span in forwardSpans)
                {
                    span?.Dispose();
                }
            }
        }
    }

    private void RunGroup(List<PendingScore> group)
    {

        if (group.Count == 1)
        {
            RunAlone(group[0]);
            return;
        }

        ScoreBuffer merged;
        try
        {
            using var batch = _runner.Converter.Merge(group.ConvertAll(pending => pending.Batch));
            merged = _runner.Forward(batch, group.Count);
        }
        catch (Exception)
        {
            // One bad request must not fail its neighbours: run each alone to find out which fails.
            foreach (var pending in group)
            {
                RunAlone(pending);
            }

            return;
        }

        using (merged)
        {
            var columns = merged.Columns;
            var at = 0;
            foreach (var pending in group)
            {
                var scores = new ScoreBuffer(pending.Batch.RowCount, columns);
                var length = pending.Batch.RowCount * columns;
                merged.Scores.AsSpan(at, length).CopyTo(scores.Array);
                at += length;
                pending.Complete(scores);
            }
        }
    }

    private void RunAlone(PendingScore pending)
    {
        try
        {
            pending.Complete(_runner.Forward(pending.Batch, 1));
        }
        catch (Exception e)
        {
            pending.Fail(e);
        }
    }
}
