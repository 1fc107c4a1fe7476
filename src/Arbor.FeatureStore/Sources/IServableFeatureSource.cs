namespace Arbor.FeatureStore.Sources;

/// <summary>
/// A feature source the root serves from: batch reads, plus what readiness needs. Implemented by
/// the native store (<see cref="Native.IFeatureStore"/>) and by the Feast source.
/// </summary>
public interface IServableFeatureSource : IFeatureSource, IAsyncDisposable
{
    /// <summary>
    /// Makes the source ready for reads: the native store creates or migrates its schema, a Feast
    /// source checks its tables, keys and value types. An unreachable store throws what the driver
    /// throws (tried again); a store this source cannot serve from throws another exception (a
    /// deployment mistake, which fails the start).
    /// </summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>One round trip: completes when the store answers, throws otherwise (readiness).</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}
