using System.Text.Json;
using System.Text.Json.Nodes;
using Arbor.Cli.Bench;
using Arbor.Cli.Cluster;
using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Root.Store;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Arbor.Testing.Feast;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.FunctionalTests.EndToEnd;

/// <summary>Real leaf processes running the sample TorchScript models behind real roots (over the native store and over Feast's).</summary>
public sealed class EndToEndScoringTests(SampleCluster cluster) : IClassFixture<SampleCluster>
{
    [Fact]
    public async Task Trimmed_And_Untrimmed_ScoreBitwiseEqual_ForEveryModel()
    {
        var random = new Random(7);
        for (var r = 0; r < 8; r++)
        {
            var request = new ScoreRequest { Surface = "homefeed", UserId = cluster.UserIds[random.Next(cluster.UserIds.Count)], RequestId = $"e2e-{r}" };
            foreach (var id in cluster.CandidateIds.OrderBy(_ => random.Next()).Take(150))
            {
                request.Candidates.Add(new Candidate { Id = id });
            }

            request.Context.Add("ctx_hour_of_day", new FeatureValue { FloatValue = random.Next(24) });

            var trimmed = await SampleCluster.ScoreAsync(cluster.Trimmed, request);
            var untrimmed = await SampleCluster.ScoreAsync(cluster.Untrimmed, request);

            Assert.Equal(5, trimmed.Results.Count);
            Assert.All(trimmed.Results, result =>
            {
                Assert.True(result.Status.Code == 0, $"{result.Model}: {result.Status.Message}");
                Assert.True(result.Trimmed, result.Model);
                Assert.Equal(150, result.Candidates.Count);
            });
            Assert.All(untrimmed.Results, result => Assert.False(result.Trimmed, result.Model));
            Assert.Equal(Bits(untrimmed), Bits(trimmed));
        }
    }

    [Fact]
    public async Task UnionCalls_And_PerModelCalls_ScoreBitwiseEqual_ForEveryModel_CarryingFewerValueBytes()
    {
        // Homefeed's three models share one partition (and most features), related's two another.
        var (perModel, perModelServices) = await cluster.StartRootWithPartitionCallsAsync("per-model", "per_model");
        var (union, unionServices) = await cluster.StartRootWithPartitionCallsAsync("union", "union");
        var random = new Random(11);
        for (var r = 0; r < 6; r++)
        {
            var request = new ScoreRequest { Surface = "homefeed", UserId = cluster.UserIds[random.Next(cluster.UserIds.Count)], RequestId = $"union-{r}" };
            foreach (var id in cluster.CandidateIds.OrderBy(_ => random.Next()).Take(120))
            {
                request.Candidates.Add(new Candidate { Id = id });
            }

            request.Context.Add("ctx_hour_of_day", new FeatureValue { FloatValue = random.Next(24) });

            var one = await SampleCluster.ScoreAsync(perModel, request);
            var shared = await SampleCluster.ScoreAsync(union, request);

            Assert.Equal(5, shared.Results.Count);
            Assert.All(shared.Results, result =>
            {
                Assert.True(result.Status.Code == 0, $"{result.Model}: {result.Status.Message}");
                Assert.True(result.Trimmed, result.Model);
                Assert.Equal(120, result.Candidates.Count);
            });
            Assert.Equal(Bits(one), Bits(shared));
            Assert.Equal(one.Results.Select(m => m.Version), shared.Results.Select(m => m.Version));
        }

        var perModelValues = perModelServices.GetRequiredService<Arbor.Root.Diagnostics.RootMetrics>().LeafValueBytes;
        var unionValues = unionServices.GetRequiredService<Arbor.Root.Diagnostics.RootMetrics>().LeafValueBytes;
        Assert.True(unionValues > 0 && unionValues < perModelValues, $"union calls carried {unionValues} value bytes, per-model calls {perModelValues}");
    }

    [Fact]
    public async Task FeastSqlite_FeastPostgres_FeastRedis_And_NativeStore_ScoreBitwiseEqual()
    {
        var ct = TestContext.Current.CancellationToken;
        var feastDatabase = Path.Combine(cluster.WorkDirectory, "feast_online_store.db");
        var written = DateTimeOffset.UtcNow;
        await FeastWriter.WriteSampleAsync(feastDatabase, written, ct);
        using var postgres = new LocalPostgresServer();
        await FeastPostgresCopy.CopyAsync(feastDatabase, postgres.ConnectionString, FeastWriter.Project, [FeastWriter.UserView, FeastWriter.CandidateView], ct);
        using var redis = new LocalRedisServer();
        await FeastWriter.WriteSampleRedisAsync(redis.ConnectionString, 0, written, ct);
        var feastSqlite = await cluster.StartRootOverAsync("feast-sqlite", FeastStore(new JsonObject { ["type"] = "sqlite", ["path"] = feastDatabase }));
        var feastPostgres = await cluster.StartRootOverAsync("feast-postgres", FeastStore(new JsonObject { ["type"] = "postgres", ["connection_string"] = postgres.ConnectionString }));

        // Cache entries of the Redis root expire at once: every request reads Redis.
        var feastRedis = await cluster.StartRootOverAsync("feast-redis", FeastStore(new JsonObject { ["type"] = "redis", ["connection_string"] = redis.ConnectionString }), cacheTtlSeconds: 0.001);
        ScoreRequest? last = null;

        var random = new Random(11);
        for (var r = 0; r < 6; r++)
        {
            var request = new ScoreRequest { Surface = "homefeed", UserId = cluster.UserIds[random.Next(cluster.UserIds.Count)], RequestId = $"feast-{r}" };
            foreach (var id in cluster.CandidateIds.OrderBy(_ => random.Next()).Take(120))
            {
                request.Candidates.Add(new Candidate { Id = id });
            }

            var native = await SampleCluster.ScoreAsync(cluster.Trimmed, request);
            Assert.All(native.Results, result => Assert.True(result.Status.Code == 0, $"{result.Model}: {result.Status.Message}"));
            Assert.Null(ScoreParity.FirstDifference(native, await SampleCluster.ScoreAsync(feastSqlite, request)));
            Assert.Null(ScoreParity.FirstDifference(native, await SampleCluster.ScoreAsync(feastPostgres, request)));
            Assert.Null(ScoreParity.FirstDifference(native, await SampleCluster.ScoreAsync(feastRedis, request)));
            last = request;
        }

        // Redis gone: what the root read is served stale, the same; a user it never read is a store outage, not a crash.
        redis.Stop();
        Assert.Null(ScoreParity.FirstDifference(await SampleCluster.ScoreAsync(cluster.Trimmed, last!), await SampleCluster.ScoreAsync(feastRedis, last!)));
        var cold = last!.Clone();
        cold.UserId = "user-never-read";
        var error = await Assert.ThrowsAsync<RpcException>(() => SampleCluster.ScoreAsync(feastRedis, cold));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("feature store unavailable", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NativeRedis_LoadedByTheCli_ScoresBitwiseEqualToNativeSqlite()
    {
        var ct = TestContext.Current.CancellationToken;
        using var redis = new LocalRedisServer();
        var location = $"redis://{redis.ConnectionString}?prefix=e2e:";
        await using (var load = ManagedProcess.Start("arbor store load", "dotnet", [
            Path.Combine(AppContext.BaseDirectory, "arbor.dll"), "store", "load", "--db", location,
            "--input", SampleModelRepository.Combine("features.jsonl"), "--registry", SampleModelRepository.Combine("feature_registry.json")]))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            await load.WaitForExitAsync(timeout.Token);
            Assert.True(load.ExitCode == 0, load.Output);
            Assert.Contains($"redis 127.0.0.1:{redis.Port}/0", load.Output, StringComparison.Ordinal);
        }

        var native = await cluster.StartRootOverAsync("native-redis", new JsonObject
        {
            ["kind"] = "redis",
            ["connection_string"] = redis.ConnectionString,
            ["key_prefix"] = "e2e:",
        });

        var random = new Random(13);
        for (var r = 0; r < 6; r++)
        {
            var request = new ScoreRequest { Surface = "homefeed", UserId = cluster.UserIds[random.Next(cluster.UserIds.Count)], RequestId = $"redis-{r}" };
            foreach (var id in cluster.CandidateIds.OrderBy(_ => random.Next()).Take(120))
            {
                request.Candidates.Add(new Candidate { Id = id });
            }

            var sqlite = await SampleCluster.ScoreAsync(cluster.Trimmed, request);
            Assert.All(sqlite.Results, result => Assert.True(result.Status.Code == 0, $"{result.Model}: {result.Status.Message}"));
            Assert.Null(ScoreParity.FirstDifference(sqlite, await SampleCluster.ScoreAsync(native, request)));
        }
    }

    [Fact]
    public async Task GoldenRows_ThroughTheRoot_ReproducePyTorchScoresBitwise()
    {
        var registry = FeatureRegistryJson.ReadFile(SampleModelRepository.Combine("feature_registry.json"))
            .Features.ToDictionary(f => f.Name, f => f.Type, StringComparer.Ordinal);
        var checkedVersions = 0;
        foreach (var (model, version) in SampleModelRepository.Versions())
        {
            using var golden = JsonDocument.Parse(await File.ReadAllBytesAsync(SampleModelRepository.Combine(model, version, "golden.json"), TestContext.Current.CancellationToken));
            var request = new ScoreRequest { RequestId = $"golden-{model}-{version}" };
            request.Models.Add(new ModelSelector { Name = model, Version = version });
            var rows = golden.RootElement.GetProperty("rows");
            var index = 0;
            foreach (var row in rows.EnumerateArray())
            {
                var candidate = new Candidate { Id = $"g{index++}" };
                foreach (var feature in row.GetProperty("features").EnumerateObject())
                {
                    candidate.Features.Add(feature.Name, Value(registry[feature.Name], feature.Value));
                }

                request.Candidates.Add(candidate);
            }

            var response = await SampleCluster.ScoreAsync(cluster.Verbatim, request);

            var result = Assert.Single(response.Results);
            Assert.True(result.Status.Code == 0, $"{model}/{version}: {result.Status.Message}");
            Assert.Equal(version, result.Version);
            var expected = golden.RootElement.GetProperty("scores").EnumerateArray()
                .Select(scores => string.Join(",", scores.EnumerateArray().Select(s => BitConverter.SingleToInt32Bits((float)s.GetDouble()))));
            var actual = result.Candidates.Select(c => string.Join(",", c.Scores.Select(BitConverter.SingleToInt32Bits)));
            Assert.Equal(expected, actual);
            checkedVersions++;
        }

        Assert.True(checkedVersions >= 11, $"only {checkedVersions} golden files");
    }

    /// <summary>A Feast store section: the sample's user and candidate features, each by its own name in its entity's view.</summary>
    private static JsonObject FeastStore(JsonObject onlineStore)
    {
        var features = new JsonObject();
        foreach (var feature in FeatureRegistryJson.ReadFile(SampleModelRepository.Combine("feature_registry.json")).Features)
        {
            if (feature.Entity != FeatureEntity.Context)
            {
                features[feature.Name] = $"{(feature.Entity == FeatureEntity.User ? FeastWriter.UserView : FeastWriter.CandidateView)}:{feature.Name}";
            }
        }

        return new JsonObject
        {
            ["kind"] = "feast",
            ["feast"] = new JsonObject
            {
                ["project"] = FeastWriter.Project,
                ["online_store"] = onlineStore,
                ["entities"] = new JsonObject
                {
                    ["user"] = new JsonObject { ["join_key"] = FeastWriter.UserJoinKey, ["views"] = new JsonArray(new JsonObject { ["name"] = FeastWriter.UserView, ["ttl_seconds"] = 86400 }) },
                    ["candidate"] = new JsonObject { ["join_key"] = FeastWriter.CandidateJoinKey, ["views"] = new JsonArray(new JsonObject { ["name"] = FeastWriter.CandidateView, ["ttl_seconds"] = 86400 }) },
                },
                ["features"] = features,
            },
        };
    }

    private static FeatureValue Value(FeatureType type, JsonElement value) => type switch
    {
        FeatureType.Float => new FeatureValue { FloatValue = (float)value.GetDouble() },
        FeatureType.Int64 => new FeatureValue { Int64Value = value.GetInt64() },
        FeatureType.FloatVector => new FeatureValue { FloatVector = new FloatVector { Values = { value.EnumerateArray().Select(v => (float)v.GetDouble()) } } },
        FeatureType.Int64List => new FeatureValue { Int64List = new Int64List { Values = { value.EnumerateArray().Select(v => v.GetInt64()) } } },
        _ => throw new InvalidOperationException($"golden rows carry no {type} features"),
    };

    private static List<string> Bits(ScoreResponse response) =>
        [.. response.Results.Select(r => r.Model + ":" + string.Join(";", r.Candidates.Select(c => c.Id + "=" + string.Join(",", c.Scores.Select(BitConverter.SingleToInt32Bits)))))];
}
