using System.Diagnostics;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Registry;

namespace Arbor.Cli.Cluster;

/// <summary>
/// Everything a sample cluster serves from, made on demand and reused: the generated model
/// repository (models/generate.sh, itself idempotent), one bundle per partition and the SQLite
/// feature store loaded from the repository's <c>features.jsonl</c>.
/// </summary>
public sealed record SampleArtefacts(string Repository, string Registry, string FeatureStore, IReadOnlyDictionary<string, string> Bundles, PartitionManifest Partitions)
{
    /// <summary>Generates what is missing or stale under <paramref name="workDirectory"/> and returns the paths.</summary>
    public static async Task<SampleArtefacts> EnsureAsync(string repositoryRoot, string workDirectory, Action<string> progress, CancellationToken cancellationToken)
    {
        var models = Path.Combine(repositoryRoot, "models", "repo");
        progress("models: checking the sample repository (models/generate.sh)");
        await RunGeneratorAsync(repositoryRoot, models, cancellationToken);

        Directory.CreateDirectory(workDirectory);
        var manifest = PartitionManifestJson.ReadFile(Path.Combine(models, PartitionManifest.FileName));
        var registry = Path.Combine(models, "feature_registry.json");
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(models, ".stamp"));

        var bundles = new Dictionary<string, string>(StringComparer.Ordinal);
        var builder = new BundleBuilder(TimeProvider.System);
        foreach (var partition in manifest.Partitions.Keys.Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(workDirectory, $"bundle-{partition}.json");
            if (!File.Exists(path) || File.GetLastWriteTimeUtc(path) < stamp)
            {
                progress($"bundle {partition}: building from the models' signatures");
                var built = builder.Build(new BundleBuildRequest(models, partition));
                WriteAtomically(path, BundleJson.ToUtf8Bytes(built.Document));
            }

            bundles[partition] = path;
        }

        var store = Path.Combine(workDirectory, "features.db");
        var source = Path.Combine(models, "features.jsonl");
        if (!File.Exists(store) || File.GetLastWriteTimeUtc(store) < File.GetLastWriteTimeUtc(source))
        {
            progress("feature store: loading features.jsonl into SQLite");
            await LoadStoreAsync(store, source, registry, cancellationToken);
        }

        return new SampleArtefacts(models, registry, store, bundles, manifest);
    }

    private static async Task RunGeneratorAsync(string repositoryRoot, string models, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Path.Combine(repositoryRoot, "models", "generate.sh")) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(models);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start models/generate.sh");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"models/generate.sh failed ({process.ExitCode}):\n{await output}{await errors}");
        }
    }

    /// <summary>
    /// A store of the sample data set with every candidate written <paramref name="copies"/> times
    /// under distinct ids (<see cref="CandidateCopies"/>), for measurements that need more entities
    /// than the data set has; built once per count in <paramref name="workDirectory"/>.
    /// </summary>
    public async Task<string> StoreWithCandidateCopiesAsync(string workDirectory, int copies, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var store = Path.Combine(workDirectory, $"features-x{copies}.db");
        var source = Path.Combine(Repository, "features.jsonl");
        if (!File.Exists(store) || File.GetLastWriteTimeUtc(store) < File.GetLastWriteTimeUtc(source))
        {
            progress($"feature store: loading features.jsonl into SQLite with {copies} copies of every candidate");
            await LoadStoreAsync(store, source, Registry, cancellationToken, copies);
        }

        return store;
    }

    private static async Task LoadStoreAsync(string store, string source, string registry, CancellationToken cancellationToken, int copies = 1)
    {
        var temp = $"{store}.{Environment.ProcessId}.tmp";
        File.Delete(temp);
        var preprocessor = new FeaturePreprocessor(FeatureRegistryJson.ReadFile(registry));
        await using (IFeatureStore target = copies == 1 ? new SqliteFeatureStore(temp) : new CandidateCopies(new SqliteFeatureStore(temp), copies))
        {
            await target.InitializeAsync(cancellationToken);
            await using var input = File.OpenRead(source);
            await JsonlFeatureImporter.ImportAsync(target, input, source, preprocessor, JsonlFeatureImporter.DefaultBatchSize, cancellationToken);
        }

        File.Move(temp, store, overwrite: true);
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
