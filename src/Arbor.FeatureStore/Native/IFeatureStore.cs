using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// A feature store: batch reads plus transactional writes over the logical schema described in
/// docs/feature-store.md. Adapters: <see cref="SqliteFeatureStore"/> (embedded default) and
/// <see cref="PostgresFeatureStore"/>. Thread-safe.
/// </summary>
public interface IFeatureStore : IFeatureSource, IAsyncDisposable
{
    /// <summary>Creates the schema when missing (idempotent); fails on a schema version it does not know.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One round trip that reads the schema version: completes when the store answers and holds an
    /// initialised schema, throws otherwise (readiness).
    /// </summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>Starts a write transaction.</summary>
    Task<IFeatureWriter> BeginWriteAsync(CancellationToken cancellationToken);

    Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken);
}
