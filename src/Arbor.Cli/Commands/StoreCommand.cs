using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Configuration;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Validation;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor store init|load|import|get</c>: create, fill and inspect a feature store.</summary>
public static class StoreCommand
{
    private const int MaxPageSize = 30_000;

    private const string DbHelp = "The store: a SQLite file path (created when missing), PostgreSQL as postgres://user:pass@host:port/db or Host=...;Database=..., or Redis as redis://[:pass@]host:port[/db][?prefix=arbor:]";

    public static Command Create()
    {
        var command = new Command("store", "Feature store tools (docs/feature-store.md).");
        command.Subcommands.Add(CreateInit());
        command.Subcommands.Add(CreateLoad());
        command.Subcommands.Add(CreateImport());
        command.Subcommands.Add(CreateGet());
        return command;
    }

    private static Command CreateInit()
    {
        var db = new Option<string>("--db") { Description = DbHelp, Required = true };
        var init = new Command("init", "Create the feature store schema (idempotent).") { db };
        init.SetAction((ParseResult result, CancellationToken cancellationToken) => RunAsync(async () =>
        {
            await using var store = FeatureStoreLocation.Open(result.GetValue(db)!);
            await store.InitializeAsync(cancellationToken);
            Console.WriteLine($"store ready: {FeatureStoreLocation.Describe(result.GetValue(db)!)}");
            return 0;
        }));
        return init;
    }

    private static Command CreateLoad()
    {
        var db = new Option<string>("--db") { Description = DbHelp, Required = true };
        var input = new Option<string>("--input") { Description = "JSONL feature file (one entity per line), or - for standard input.", Required = true };
        var registry = new Option<string?>("--registry") { Description = "Feature registry file: types values and rejects unknown features. Without it types are inferred from the JSON." };
        var batch = new Option<int>("--batch-size") { Description = "Entities per write batch.", DefaultValueFactory = _ => JsonlFeatureImporter.DefaultBatchSize };
        var load = new Command("load", "Import a JSONL feature file in one transaction (all or nothing) and report counts.") { db, input, registry, batch };
        load.SetAction((ParseResult result, CancellationToken cancellationToken) => RunAsync(async () =>
        {
            var preprocessor = result.GetValue(registry) is { } path ? new FeaturePreprocessor(FeatureRegistryJson.ReadFile(path)) : null;
            var inputPath = result.GetValue(input)!;
            await using var store = FeatureStoreLocation.Open(result.GetValue(db)!);
            await store.InitializeAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            await using var stream = inputPath == "-" ? Console.OpenStandardInput() : File.OpenRead(inputPath);
            var imported = await JsonlFeatureImporter.ImportAsync(store, stream, inputPath, preprocessor, result.GetValue(batch), cancellationToken);
            var stats = await store.GetStatsAsync(cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"imported {imported.Entities} entities ({imported.Users} users, {imported.Candidates} candidates): {imported.Values} values written, {imported.Deleted} deleted in {clock.Elapsed.TotalSeconds:F1} s"));
            Console.WriteLine($"store {FeatureStoreLocation.Describe(result.GetValue(db)!)} now holds {stats.Users} users ({stats.UserValues} values), {stats.Candidates} candidates ({stats.CandidateValues} values)");
            return 0;
        }));
        return load;
    }

    private static Command CreateImport()
    {
        var from = new Option<string>("--from") { Description = "What to import from: feast (a Feast online store, SQLite or PostgreSQL, as a root config's feature_store.feast describes it).", Required = true };
        var config = new Option<string>("--config") { Description = "A root config whose feature_store section is kind feast: the Feast store, its project, entities, views (ttl_seconds) and feature names; its registry, if any, checks the mapped features.", Required = true };
        var to = new Option<string>("--to") { Description = DbHelp, Required = true };
        var page = new Option<int>("--page-size") { Description = "Entities per read of a view and per write batch.", DefaultValueFactory = _ => FeastFeatureImporter.DefaultPageSize };
        var import = new Command(
            "import",
            "Copy every entity of every configured Feast view into a native store in one transaction, named and typed as the root reads them from Feast; values older than their view's ttl_seconds are skipped, unreadable values and keys are counted and named.")
        {
            from, config, to, page,
        };
        import.SetAction((ParseResult result, CancellationToken cancellationToken) => RunAsync(async () =>
        {
            if (result.GetValue(from) != "feast")
            {
                throw new ArgumentException($"--from must be feast, not '{result.GetValue(from)}'.");
            }

            if (result.GetValue(page) is <= 0 or > MaxPageSize)
            {
                // A page's keys are bound as parameters of one query: SQLite takes at most 32766.
                throw new ArgumentException($"--page-size must be between 1 and {MaxPageSize}.");
            }

            var configPath = result.GetValue(config)!;
            var rootConfig = RootConfigLoader.Load(configPath);
            if (rootConfig.FeatureStore is not { Kind: "feast", Feast: { } feast })
            {
                throw new ArgumentException($"{configPath}: feature_store.kind is '{rootConfig.FeatureStore.Kind}'; --from feast needs a feature_store of kind feast (docs/feature-store.md, Coming from Feast).");
            }

            var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
            string Resolve(string path) => Path.GetFullPath(path, baseDirectory);
            var connectionString = feast.OnlineStore.ConnectionString is { } secret
                ? RootSecrets.Resolve(secret, baseDirectory, configPath, "$.feature_store.feast.online_store.connection_string")
                : null;
            var schema = rootConfig.Registry is { } registry ? new FeaturePreprocessor(FeatureRegistryJson.ReadFile(Resolve(registry))) : null;
            using var metrics = new FeastSourceMetrics();
            await using var source = FeastConfigValidation.Open(feast, connectionString, Resolve, schema, TimeProvider.System, metrics);
            var target = result.GetValue(to)!;
            await using var store = FeatureStoreLocation.Open(target);
            await store.InitializeAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            var imported = await FeastFeatureImporter.ImportAsync(source, store, result.GetValue(page), cancellationToken);
            var where = feast.OnlineStore.Type == "postgres" ? "postgres" : $"sqlite {Resolve(feast.OnlineStore.Path!)}";
            Console.WriteLine($"feast project {feast.Project} ({where}):");
            foreach (var view in imported.Views)
            {
                var ttl = feast.Entities.Values.SelectMany(e => e.Views).First(v => v.Name == view.View).TtlSeconds;
                var skipped = ttl > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{view.Expired} values older than ttl_seconds {ttl} skipped")
                    : "no ttl_seconds: nothing skipped as expired";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {view.View} ({view.Kind.ToName()}): {view.Entities} entities, {view.Values} values copied; {skipped}"));
            }

            foreach (var refusal in imported.Refused)
            {
                Console.WriteLine($"  refused {FeastFeatureImporter.Describe(refusal)}");
            }

            var stats = await store.GetStatsAsync(cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"imported {imported.Entities} entities (summed over views): {imported.Values} values copied, {imported.Expired} skipped as expired, {imported.RefusedValues} values and {imported.RefusedKeys} entity keys refused in {clock.Elapsed.TotalSeconds:F1} s"));
            Console.WriteLine($"store {FeatureStoreLocation.Describe(target)} now holds {stats.Users} users ({stats.UserValues} values), {stats.Candidates} candidates ({stats.CandidateValues} values)");
            return 0;
        }));
        return import;
    }

    private static Command CreateGet()
    {
        var db = new Option<string>("--db") { Description = DbHelp, Required = true };
        var entity = new Option<string>("--entity") { Description = "user or candidate.", Required = true };
        var ids = new Option<string[]>("--id") { Description = "Entity ids.", Required = true, AllowMultipleArgumentsPerToken = true };
        var features = new Option<string[]>("--feature") { Description = "Features to read (default: all).", AllowMultipleArgumentsPerToken = true };
        var get = new Command("get", "Print stored (raw, not preprocessed) features of entities as JSON lines.") { db, entity, ids, features };
        get.SetAction((ParseResult result, CancellationToken cancellationToken) => RunAsync(async () =>
        {
            if (!EntityKindNames.TryParse(result.GetValue(entity), out var kind))
            {
                throw new ArgumentException($"--entity must be user or candidate, not '{result.GetValue(entity)}'.");
            }

            var names = result.GetValue(features) ?? [];
            await using var store = FeatureStoreLocation.Open(result.GetValue(db)!);
            var table = await store.ReadAsync(kind, result.GetValue(ids)!, names.Length == 0 ? FeatureProjection.All : FeatureProjection.Of(names), cancellationToken);
            for (var row = 0; row < table.RowCount; row++)
            {
                var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
                for (var column = 0; column < table.ColumnCount; column++)
                {
                    if (table[row, column].HasValue)
                    {
                        values[table.Features[column]] = table[row, column].ToString();
                    }
                }

                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = table.Ids[row], ["features"] = values }));
            }

            return 0;
        }));
        return get;
    }

    private static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is FeatureImportException or FeastSourceException or RootConfigException or ArtefactException or IOException or UnauthorizedAccessException
            or ArgumentException or InvalidOperationException or System.Data.Common.DbException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}
