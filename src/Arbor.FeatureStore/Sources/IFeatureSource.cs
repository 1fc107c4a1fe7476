namespace Arbor.FeatureStore.Sources;

/// <summary>Something features can be batch-read from: a feature store, or the cache in front of it.</summary>
public interface IFeatureSource
{
    /// <summary>
    /// Reads <paramref name="features"/> of every entity in <paramref name="ids"/> with one query
    /// (never one per id). Ids without values give empty rows; duplicate ids give duplicate rows.
    /// </summary>
    /// <param name="cancellationToken">
    /// Fires at the caller's deadline or when it cancels: the read then ends promptly with an
    /// <see cref="OperationCanceledException"/>, whatever the store is doing.
    /// </param>
    ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken);
}
