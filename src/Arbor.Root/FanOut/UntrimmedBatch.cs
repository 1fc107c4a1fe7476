using Arbor.Features.Batches;
using Arbor.Features.Wire;

namespace Arbor.Root.FanOut;

/// <summary>
/// A request's columns for every feature, for leaf calls that must go untrimmed after a trim gap.
/// A trimmed request fetched only its allowlists' features, so the first such call fetches and
/// encodes the rest once for the whole request; a request that already fetched everything reuses
/// its batch. Dispose after the last leaf call.
/// </summary>
public sealed class UntrimmedBatch : IDisposable
{
    private readonly Func<CancellationToken, ValueTask<FeatureBatch>>? _assemble;
    private readonly EncodedBatch? _same;
    private readonly Lock _gate = new();
    private Task<EncodedBatch>? _built;

    /// <param name="assemble">Fetches and builds every feature's columns (called at most once).</param>
    public UntrimmedBatch(Func<CancellationToken, ValueTask<FeatureBatch>> assemble)
    {
        _assemble = assemble ?? throw new ArgumentNullException(nameof(assemble));
    }

    private UntrimmedBatch(EncodedBatch same)
    {
        _same = same;
    }

    /// <summary>
    /// No untrimmed columns exist: the request's client dropped features the root cannot fetch. A trim
    /// gap's FAILED_PRECONDITION then stands for the model instead of a resend that would score on
    /// defaults; the gap changes the client feature view, so the client refreshes and resends.
    /// </summary>
    public static UntrimmedBatch None { get; } = new();

    /// <summary>False for <see cref="None"/>.</summary>
    public bool Available => _same is not null || _assemble is not null;

    private UntrimmedBatch()
    {
    }

    /// <summary>The request's own batch already holds every feature: use it (this never disposes it).</summary>
    public static UntrimmedBatch Same(EncodedBatch batch) => new(batch ?? throw new ArgumentNullException(nameof(batch)));

    /// <summary>The encoded columns of every feature; fetched on the first call, shared by later ones.</summary>
    public Task<EncodedBatch> GetAsync(CancellationToken cancellationToken)
    {
        if (!Available)
        {
            throw new InvalidOperationException("the request's client dropped features: there is no untrimmed batch");
        }

        if (_same is not null)
        {
            return Task.FromResult(_same);
        }

        lock (_gate)
        {
            return _built ??= BuildAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        Task<EncodedBatch>? built;
        lock (_gate)
        {
            built = _built;
        }

        // Every caller awaited the task before the request ends, so it has finished by now.
        if (built is { IsCompletedSuccessfully: true })
        {
            built.Result.Dispose();
        }
    }

    private async Task<EncodedBatch> BuildAsync(CancellationToken cancellationToken)
    {
        using var batch = await _assemble!(cancellationToken).ConfigureAwait(false);
        return FeatureBatchEncoder.Encode(batch);
    }
}
