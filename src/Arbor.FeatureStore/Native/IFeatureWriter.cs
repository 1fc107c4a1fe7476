using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// One write transaction: batches are upserted as they come, and nothing is visible to readers
/// until <see cref="CommitAsync"/>. Disposing without committing rolls everything back.
/// </summary>
public interface IFeatureWriter : IAsyncDisposable
{
    /// <summary>Upserts a batch (last value wins when a batch names the same feature twice).</summary>
    Task WriteAsync(IReadOnlyList<EntityFeatures> batch, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}
