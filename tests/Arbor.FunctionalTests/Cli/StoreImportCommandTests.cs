using System.Diagnostics;
using System.Text.Json.Nodes;
using Arbor.Cli.Cluster;
using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Rpc.Server;
using Arbor.Testing;
using Arbor.Testing.Feast;
using Microsoft.Data.Sqlite;

namespace Arbor.FunctionalTests.Cli;

/// <summary><c>arbor store import --from feast</c>, run as a child process: output, exit codes and what the store then holds.</summary>
public sealed class StoreImportCommandTests : IDisposable
{
    private static readonly string UserTable = $"{FeastWriter.Project}_{FeastWriter.UserView}";

    private readonly TempDirectory _directory = new("arbor-store-import-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ImportFromFeast_SqliteStore_PrintsCountsSkipsExpiredNamesRefusedAndTheStoreServesTheValues()
    {
        var feast = _directory.Combine("online_store.db");
        await FeastWriter.WriteSampleAsync(feast, DateTimeOffset.UtcNow, Ct);
        var (expiredUser, corruptUser) = await TwoUsersAsync(feast);
        await ExecuteAsync(feast, $"UPDATE {UserTable} SET event_ts = event_ts - 7200 WHERE entity_key = {Key(expiredUser)} AND feature_name = 'user_age_days'");
        await ExecuteAsync(feast, $"UPDATE {UserTable} SET value = X'ff' WHERE entity_key = {Key(corruptUser)} AND feature_name = 'user_num_pins'");
        var config = WriteConfig(new JsonObject { ["type"] = "sqlite", ["path"] = "online_store.db" });
        var native = _directory.Combine("features.db");

        var (exit, stdout, stderr) = await RunAsync("store", "import", "--from", "feast", "--config", config, "--to", native, "--page-size", "250");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"{FeastWriter.UserView} (user): ", stdout, StringComparison.Ordinal);
        Assert.Contains($"{FeastWriter.CandidateView} (candidate): ", stdout, StringComparison.Ordinal);
        Assert.Contains("1 values older than ttl_seconds 3600 skipped", stdout, StringComparison.Ordinal);
        Assert.Contains($"refused {FeastWriter.UserView}:user_num_pins: corrupt (1, first entity '{corruptUser}')", stdout, StringComparison.Ordinal);
        Assert.Contains("1 skipped as expired, 1 values and 0 entity keys refused", stdout, StringComparison.Ordinal);

        await using var store = new SqliteFeatureStore(native);
        await using var source = FeastFeatureSource.OpenSqlite(feast, Options(TimeSpan.FromHours(1)));
        string[] ids = [expiredUser, corruptUser];
        var projection = FeatureProjection.Of("user_stats:user_age_days", "user_stats:user_num_pins", "user_stats:user_interest_ids");
        var imported = await store.ReadAsync(EntityKind.User, ids, projection, Ct);
        var direct = await source.ReadAsync(EntityKind.User, ids, projection, Ct);
        Assert.False(imported[0, 0].HasValue);
        Assert.False(imported[1, 1].HasValue);
        for (var row = 0; row < ids.Length; row++)
        {
            for (var column = 0; column < projection.Count; column++)
            {
                Assert.True(direct[row, column] == imported[row, column], $"{ids[row]}/{projection.Names[column]}");
            }
        }

        Assert.True(imported[0, 1].HasValue);
    }

    [Fact]
    public async Task ImportFromFeast_Mistakes_ExitOneWithTheProblem()
    {
        var native = _directory.Combine("features.db");
        var missing = WriteConfig(new JsonObject { ["type"] = "sqlite", ["path"] = "no_such_store.db" });
        var notFeast = _directory.Combine("sqlite.json");
        File.WriteAllText(notFeast, Config(new JsonObject { ["kind"] = "sqlite", ["path"] = "features.db" }));

        var wrongSource = await RunAsync("store", "import", "--from", "hopsworks", "--config", missing, "--to", native);
        var noStore = await RunAsync("store", "import", "--from", "feast", "--config", missing, "--to", native);
        var wrongKind = await RunAsync("store", "import", "--from", "feast", "--config", notFeast, "--to", native);
        var redis = await RunAsync("store", "import", "--from", "feast", "--config", WriteConfig(new JsonObject { ["type"] = "redis", ["connection_string"] = $"127.0.0.1:{LoopbackPorts.Next()},password=hunter2,connectTimeout=500" }), "--to", native);
        var hugePage = await RunAsync("store", "import", "--from", "feast", "--config", missing, "--to", native, "--page-size", "50000");

        Assert.Equal(1, wrongSource.Exit);
        Assert.Contains("--from must be feast, not 'hopsworks'", wrongSource.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, noStore.Exit);
        Assert.Contains("There is no Feast SQLite online store at the configured path", noStore.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, wrongKind.Exit);
        Assert.Contains("--from feast needs a feature_store of kind feast", wrongKind.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, redis.Exit);
        Assert.DoesNotContain("hunter2", redis.Stderr, StringComparison.Ordinal); // an unreachable Redis: an error that never quotes its connection string
        Assert.Equal(1, hugePage.Exit);
        Assert.Contains("--page-size must be between 1 and 30000", hugePage.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static FeastSourceOptions Options(TimeSpan ttl) => new(
        FeastWriter.Project,
        [
            new FeastEntityOptions(EntityKind.User, FeastWriter.UserJoinKey, FeastKeyType.String, [new FeastViewOptions(FeastWriter.UserView, ttl)]),
            new FeastEntityOptions(EntityKind.Candidate, FeastWriter.CandidateJoinKey, FeastKeyType.String, [new FeastViewOptions(FeastWriter.CandidateView, ttl)]),
        ],
        new Dictionary<string, FeastFeatureRef>());

    private static string Key(string user) => $"X'{Convert.ToHexString(FeastEntityKey.TryEncode(FeastWriter.UserJoinKey, FeastKeyType.String, user)!)}'";

    /// <summary>Two users that have both user_age_days and user_num_pins in the Feast store.</summary>
    private static async Task<(string, string)> TwoUsersAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT a.entity_key FROM {UserTable} a JOIN {UserTable} b ON a.entity_key = b.entity_key AND b.feature_name = 'user_num_pins' WHERE a.feature_name = 'user_age_days' ORDER BY a.entity_key LIMIT 2";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var users = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            Assert.True(FeastEntityKey.TryDecode(reader.GetFieldValue<byte[]>(0), FeastWriter.UserJoinKey, FeastKeyType.String, out var id));
            users.Add(id);
        }

        Assert.Equal(2, users.Count);
        return (users[0], users[1]);
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }

    /// <summary>A root config whose store is the Feast store (user and candidate views, TTL one hour), features read by their Feast references.</summary>
    private string WriteConfig(JsonObject onlineStore)
    {
        var path = _directory.Combine($"root.{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Config(new JsonObject
        {
            ["kind"] = "feast",
            ["feast"] = new JsonObject
            {
                ["project"] = FeastWriter.Project,
                ["online_store"] = onlineStore,
                ["entities"] = new JsonObject
                {
                    ["user"] = new JsonObject { ["join_key"] = FeastWriter.UserJoinKey, ["views"] = new JsonArray(new JsonObject { ["name"] = FeastWriter.UserView, ["ttl_seconds"] = 3600 }) },
                    ["candidate"] = new JsonObject { ["join_key"] = FeastWriter.CandidateJoinKey, ["views"] = new JsonArray(new JsonObject { ["name"] = FeastWriter.CandidateView, ["ttl_seconds"] = 3600 }) },
                },
            },
        }));
        return path;
    }

    private static string Config(JsonObject featureStore) => new JsonObject
    {
        ["schema"] = "arbor.root/v1",
        ["feature_store"] = featureStore,
        ["partitions"] = new JsonObject { ["homefeed"] = new JsonObject { ["endpoints"] = new JsonArray("http://127.0.0.1:7201") } },
        ["models"] = new JsonObject { ["ctr"] = new JsonObject { ["partition"] = "homefeed" } },
        ["surfaces"] = new JsonObject { ["homefeed"] = new JsonObject { ["models"] = new JsonArray("ctr") } },
    }.ToJsonString();

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var arbor = ArborExecutable.Current();
        var start = new ProcessStartInfo(arbor.FileName, arbor.With(arguments)) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start arbor");
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
