using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Native;

namespace Arbor.Leaf.Inference;

/// <summary>
/// Runs one loaded model version: forwards converted batches under the partition's concurrency
/// bound, directly or through a <see cref="DynamicBatcher"/>, and skips work whose deadline passed.
/// </summary>
public sealed class ModelRunner : IAsyncDisposable
{
    private readonly TorchModel _model;
    private readonly InferenceLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly DynamicBatcher? _batcher;

    public ModelRunner(
        string model, string version, TorchModel torchModel, FeatureConverter converter, InferenceLimiter limiter,
        BatchingOptions batching, TimeProvider time, LeafMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(torchModel);
        ArgumentNullException.ThrowIfNull(converter);
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentNullException.ThrowIfNull(batching);
        Model = model;
        Version = version;
        _model = torchModel;
        Converter = converter;
        _limiter = limiter;
        _time = time;
        Metrics = metrics;
        if (batching.Enabled)
        {
            _batcher = new DynamicBatcher(this, limiter, batching, time);
        }
    }

    public string Model { get; }

    public string Version { get; }

    public FeatureConverter Converter { get; }

    internal LeafMetrics Metrics { get; }

    /// <summary>Scores a converted batch. The caller keeps ownership of <paramref name="batch"/>.</summary>
    /// <param name="batch">The converted rows.</param>
    /// <param name="deadline">When the scores are no longer wanted.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <param name="unbatched">
    /// Run in a forward of its own even when dynamic batching is on: libtorch reproduces a row's
    /// scores bit for bit only for the same batch composition (shadow verification compares two calls).
    /// </param>
    /// <exception cref="DeadlineExceededException">The deadline passed before inference started.</exception>
    /// <exception cref="InferenceFailedException">forward failed or returned the wrong shape.</exception>
    public async ValueTask<ScoreBuffer> ScoreAsync(ConvertedBatch batch, DateTimeOffset? deadline, CancellationToken cancellationToken, bool unbatched = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_batcher is not null && !unbatched)
        {
            return await _batcher.ScoreAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
        }

        var queued = _time.GetTimestamp();
        var queue = LeafTracing.Source.StartActivity("leaf.queue");
        using var slot = await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
        queue?.Dispose();
        Metrics.Queued(Model, Version, _time.GetElapsedTime(queued).TotalSeconds);
        if (deadline is { } due && _time.GetUtcNow() >= due)
        {
            Metrics.DeadlineSkipped(Model, Version);
            throw new DeadlineExceededException();
        }

        using var forward = LeafTracing.Source.StartActivity("leaf.forward");
        forward?.SetTag("arbor.batch.requests", 1);
        return Forward(batch, 1);
    }

    /// <summary>Runs forward on the calling thread (the caller holds an inference slot).</summary>
    internal ScoreBuffer Forward(ConvertedBatch batch, int requests)
    {
        var columns = Converter.OutputCount;
        var scores = new ScoreBuffer(batch.RowCount, columns);
        var started = _time.GetTimestamp();
        try
        {
            var (rows, cols) = _model.Forward(batch.Arguments, scores.Array);
            if (rows != batch.RowCount || cols != columns)
            {
                throw new InferenceFailedException(
                    $"{Model} version {Version}: forward returned scores [{rows}, {cols}], expected [{batch.RowCount}, {columns}] ({columns} outputs in its signature)");
            }
        }
        catch (TorchException e)
        {
            scores.Dispose();
            throw new InferenceFailedException($"{Model} version {Version}: {e.Message}", e);
        }
        catch
        {
            scores.Dispose();
            throw;
        }

        Metrics.Forward(Model, Version, _time.GetElapsedTime(started).TotalSeconds, batch.RowCount, requests);
        return scores;
    }

    /// <summary>Stops the batcher; the caller frees the native model once no request holds it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_batcher is not null)
        {
            await _batcher.DisposeAsync().ConfigureAwait(false);
        }
    }
}
