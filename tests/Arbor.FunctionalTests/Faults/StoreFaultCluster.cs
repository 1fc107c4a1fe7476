using Arbor.Cli.Cluster;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.Root.Configuration;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;
using Arbor.Rpc.Security;
using Arbor.Signatures.Registry;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Faults;

/// <summary>
/// The fault cluster over a private PostgreSQL server loaded with the sample features, with a
/// short cache time to live so that steady traffic keeps refreshing entries from the store: a store
/// outage then shows at once in what the root serves (stale copies or errors).
/// </summary>
public sealed class StoreFaultCluster : FaultCluster
{
    /// <summary>Entries expire this soon, so traffic refreshes them from the store within seconds.</summary>
    public const double CacheTtlSeconds = 1;

    private const string ConnectionVariable = "ARBOR_FAULTS_PG";

    private LocalPostgresServer? _postgres;

    public LocalPostgresServer Postgres => _postgres!;

    protected override async Task<IReadOnlyDictionary<string, string>?> PrepareRootAsync(SampleArtefacts artefacts, CancellationToken cancellationToken)
    {
        _postgres = new LocalPostgresServer();
        var source = Path.Combine(artefacts.Repository, "features.jsonl");
        var preprocessor = new FeaturePreprocessor(FeatureRegistryJson.ReadFile(artefacts.Registry));
        await using (var store = new PostgresFeatureStore(_postgres.ConnectionString))
        {
            await store.InitializeAsync(cancellationToken);
            await using var input = File.OpenRead(source);
            await JsonlFeatureImporter.ImportAsync(store, input, source, preprocessor, JsonlFeatureImporter.DefaultBatchSize, cancellationToken);
        }

        return new Dictionary<string, string>(StringComparer.Ordinal) { [ConnectionVariable] = _postgres.ConnectionString };
    }

    protected override RootConfig ConfigureRoot(RootConfig config) => config with
    {
        FeatureStore = new FeatureStoreConfig { Kind = "postgres", ConnectionString = SecretValue.FromEnvironment(ConnectionVariable) },
        Cache = new CacheConfig { TtlSeconds = CacheTtlSeconds },
    };

    protected override ValueTask DisposeCoreAsync()
    {
        _postgres?.Dispose();
        return ValueTask.CompletedTask;
    }
}
