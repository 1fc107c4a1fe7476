using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// A feature store: batch reads plus transactional writes over the logical schema described in
/// docs/feature-store.md. Adapters: <see cref="SqliteFeatureStore"/> (embedded default) and
/// <see cref="PostgresFeatureStore"/>. Thread-safe. <see cref="IServableFeatureSource.InitializeAsync"/> creates the schema when missing (idempotent)
/// and fails on a schema version it does not know; <see cref="IServableFeatureSource.CheckAsync"/>
/// reads the schema version.
/// </summary>
public interface IFeatureStore : IServableFeatureSource
{
    /// <summary>Starts a write transaction.</summary>
    Task<IFeatureWriter> BeginWriteAsync(CancellationToken cancellationToken);

    Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken);
}
