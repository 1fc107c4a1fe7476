using Arbor.Features.Values;
using Arbor.Root.Configuration;

namespace Arbor.Root.Tests.Configuration;

public sealed class RootConfigLoaderTests
{
    internal const string ValidConfig = """
        {
          "schema": "arbor.root/v1",
          "feature_store": { "kind": "sqlite", "path": "features.db" },
          "partitions": { "homefeed": { "endpoints": ["http://127.0.0.1:7201", "http://127.0.0.1:7202"] } },
          "models": {
            "ctr": { "partition": "homefeed" },
            "ctr_exp": { "partition": "homefeed", "version": "3" },
            "save": { "partition": "homefeed", "trimming": false, "compression": "zstd" }
          },
          "surfaces": {
            "homefeed": {
              "models": ["ctr", "save"],
              "experiments": [ { "name": "exp_a", "model": "ctr_exp", "replaces": "ctr", "fraction": 0.25 } ]
            }
          }
        }
        """;

    [Fact]
    public void Parse_ValidConfig_ReadsEverySection()
    {
        var config = RootConfigLoader.Parse(ValidConfig);

        Assert.Equal(2, config.Partitions["homefeed"].Endpoints.Count);
        Assert.Equal("3", config.Models["ctr_exp"].Version);
        Assert.False(config.Models["save"].Trimming);
        Assert.Equal("zstd", config.Models["save"].Compression);
        Assert.Equal(0.25, config.Surfaces["homefeed"].Experiments[0].Fraction);
    }

    [Fact]
    public void Parse_NoTrimmerSection_ShadowVerifiesOneCallInAThousand()
    {
        var config = RootConfigLoader.Parse(ValidConfig);

        Assert.Equal(0.001, config.Trimmer.ShadowFraction);
        Assert.Equal(4, config.Trimmer.ShadowMaxInFlight);
    }

    [Theory]
    [InlineData("-0.1", "1", "$.trimmer.shadow_fraction")]
    [InlineData("1.5", "1", "$.trimmer.shadow_fraction")]
    [InlineData("0.5", "0", "$.trimmer.shadow_max_in_flight")]
    public void Parse_ShadowSettingsOutOfRange_NamesTheField(string fraction, string maxInFlight, string path)
    {
        var json = ValidConfig.Replace("\"partitions\":", $"\"trimmer\": {{ \"shadow_fraction\": {fraction}, \"shadow_max_in_flight\": {maxInFlight} }},\n  \"partitions\":", StringComparison.Ordinal);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Equal(path, Assert.Single(error.Problems).Split(':')[0]);
    }

    [Fact]
    public void Parse_ShadowFractionZero_TurnsShadowVerificationOff()
    {
        var json = ValidConfig.Replace("\"partitions\":", "\"trimmer\": { \"shadow_fraction\": 0 },\n  \"partitions\":", StringComparison.Ordinal);

        Assert.Equal(0, RootConfigLoader.Parse(json).Trimmer.ShadowFraction);
    }

    [Theory]
    [InlineData("-0.01")]
    [InlineData("1")]
    [InlineData("1.5")]
    public void Parse_CompressionMinSavingOutside0To1_IsRefusedWithItsPath(string value)
    {
        var json = ValidConfig.Replace("\"partitions\":", $"\"fan_out\": {{ \"compression\": \"lz4\", \"compression_min_saving\": {value} }},\n  \"partitions\":", StringComparison.Ordinal);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Contains(error.Problems, p => p.StartsWith("$.fan_out.compression_min_saving", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("0.2", 0.2)]
    public void Parse_CompressionMinSaving_IsRead_AndDefaultsTo6Percent(string value, double expected)
    {
        var json = ValidConfig.Replace("\"partitions\":", $"\"fan_out\": {{ \"compression_min_saving\": {value} }},\n  \"partitions\":", StringComparison.Ordinal);

        Assert.Equal(expected, RootConfigLoader.Parse(json).FanOut.MinSaving);
        Assert.Null(RootConfigLoader.Parse(ValidConfig).FanOut.CompressionMinSaving);
        Assert.Equal(0.06, RootConfigLoader.Parse(ValidConfig).FanOut.MinSaving);
        Assert.DoesNotContain("compression_min_saving", RootConfigLoader.Serialize(RootConfigLoader.Parse(ValidConfig)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"  \"")]
    public void Parse_PreloadFileBlank_IsRefusedWithItsPath(string value)
    {
        var json = ValidConfig.Replace("\"partitions\":", $"\"warmup\": {{ \"preload_file\": {value} }},\n  \"partitions\":", StringComparison.Ordinal);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Contains(error.Problems, p => p.StartsWith("$.warmup.preload_file", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_PreloadFile_IsRead_AndNotWrittenWhenAbsent()
    {
        var json = ValidConfig.Replace("\"partitions\":", "\"warmup\": { \"preload_file\": \"hot.tsv\" },\n  \"partitions\":", StringComparison.Ordinal);

        Assert.Equal("hot.tsv", RootConfigLoader.Parse(json).Warmup.PreloadFile);
        Assert.Contains("\"preload_file\": \"hot.tsv\"", RootConfigLoader.Serialize(RootConfigLoader.Parse(json)), StringComparison.Ordinal);
        Assert.DoesNotContain("preload_file", RootConfigLoader.Serialize(RootConfigLoader.Parse(ValidConfig)), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownReferences_ReportsEachWithItsPath()
    {
        const string json = """
            {
              "schema": "arbor.root/v1",
              "feature_store": { "kind": "sqlite", "path": "f.db" },
              "partitions": { "p": { "endpoints": ["not a url"] } },
              "models": { "m": { "partition": "nowhere", "compression": "snappy" } },
              "surfaces": { "s": { "models": ["m", "ghost"], "experiments": [ { "name": "e", "model": "m", "replaces": "x", "fraction": 1.5 } ] } }
            }
            """;

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Contains(error.Problems, p => p.StartsWith("$.partitions.p.endpoints[0]", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.models.m.partition", StringComparison.Ordinal) && p.Contains("nowhere", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.models.m.compression", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.surfaces.s.models[1]", StringComparison.Ordinal) && p.Contains("ghost", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.surfaces.s.experiments[0].replaces", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.surfaces.s.experiments[0].fraction", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_LimitsThatCannotWorkTogether_ReportsEachAtOnce()
    {
        var json = ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            "\"schema\": \"arbor.root/v1\", \"limits\": { \"default_deadline_ms\": 500, \"leaf_timeout_ms\": 800, \"max_message_bytes\": 100, \"max_candidates\": 0 },",
            StringComparison.Ordinal);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Contains(error.Problems, p => p.StartsWith("$.limits.leaf_timeout_ms", StringComparison.Ordinal) && p.Contains("default_deadline_ms (500 ms)", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.limits.max_message_bytes", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.limits.max_candidates", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DuplicateCandidates_DefaultsToScoreOnce_ReadsReject_RefusesOtherSettings()
    {
        string With(string setting) => ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            $"\"schema\": \"arbor.root/v1\", \"limits\": {{ \"duplicate_candidates\": \"{setting}\" }},",
            StringComparison.Ordinal);

        Assert.Equal("score_once", RootConfigLoader.Parse(ValidConfig).Limits.DuplicateCandidates);
        Assert.Equal("reject", RootConfigLoader.Parse(With("reject")).Limits.DuplicateCandidates);
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(With("twice")));
        Assert.Contains("$.limits.duplicate_candidates: unknown setting 'twice' (score_once, reject)", error.Problems);
    }

    [Fact]
    public void Parse_ConnectionsPerReplica_DefaultsAndBounds()
    {
        string With(string fanOut) => ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            $"\"schema\": \"arbor.root/v1\", \"fan_out\": {fanOut},",
            StringComparison.Ordinal);

        var absent = RootConfigLoader.Parse(With("{}")).FanOut;
        Assert.Null(absent.ConnectionsPerReplica);
        Assert.Equal(FanOutConfig.DefaultConnectionsPerReplica, absent.Connections);
        // Not set, not written: a config written by this build reads in builds without the field.
        Assert.DoesNotContain("connections_per_replica", RootConfigLoader.Serialize(RootConfigLoader.Parse(With("{}"))), StringComparison.Ordinal);
        Assert.Equal(4, RootConfigLoader.Parse(With("{ \"connections_per_replica\": 4 }")).FanOut.Connections);
        foreach (var bad in new[] { 0, 17 })
        {
            var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(With($"{{ \"connections_per_replica\": {bad} }}")));
            Assert.Contains("$.fan_out.connections_per_replica: must be from 1 to 16", error.Problems);
        }
    }

    [Fact]
    public void Parse_ConnectTimeout_MustBePositiveAndBelowTheLeafTimeout()
    {
        string With(string fanOut) => ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            $"\"schema\": \"arbor.root/v1\", \"limits\": {{ \"default_deadline_ms\": 1000, \"leaf_timeout_ms\": 800 }}, \"fan_out\": {fanOut},",
            StringComparison.Ordinal);

        Assert.Equal(100, RootConfigLoader.Parse(With("{ \"connect_timeout_ms\": 100 }")).FanOut.ConnectTimeoutMs);
        Assert.Null(RootConfigLoader.Parse(With("{}")).FanOut.ConnectTimeoutMs);
        var tooLong = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(With("{ \"connect_timeout_ms\": 800 }")));
        Assert.Contains(tooLong.Problems, p => p.StartsWith("$.fan_out.connect_timeout_ms", StringComparison.Ordinal) && p.Contains("leaf_timeout_ms (800 ms)", StringComparison.Ordinal));
        var zero = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(With("{ \"connect_timeout_ms\": 0 }")));
        Assert.Contains(zero.Problems, p => p.StartsWith("$.fan_out.connect_timeout_ms", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_PartitionCalls_DefaultsToAuto_AndRejectsAnUnknownMode()
    {
        string With(string mode) => ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            $"\"schema\": \"arbor.root/v1\", \"fan_out\": {{ \"partition_calls\": \"{mode}\" }},",
            StringComparison.Ordinal);

        Assert.Equal("auto", RootConfigLoader.Parse(ValidConfig).FanOut.PartitionCalls);
        Assert.Equal("per_model", RootConfigLoader.Parse(With("per_model")).FanOut.PartitionCalls);
        Assert.Equal("union", RootConfigLoader.Parse(With("union")).FanOut.PartitionCalls);
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(With("shared")));
        Assert.Contains("$.fan_out.partition_calls: unknown mode 'shared' (per_model, union, auto)", error.Problems);
    }

    [Fact]
    public void Parse_Telemetry_ReadsTheSection_AndReportsEveryInvalidField()
    {
        var valid = RootConfigLoader.Parse(ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            "\"schema\": \"arbor.root/v1\", \"telemetry\": { \"otlp_endpoint\": \"http://collector:4318\", \"otlp_protocol\": \"http/protobuf\", \"log_format\": \"json\" },",
            StringComparison.Ordinal));
        var json = ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            "\"schema\": \"arbor.root/v1\", \"telemetry\": { \"otlp_endpoint\": \"collector:4317\", \"otlp_protocol\": \"thrift\", \"log_format\": \"xml\" },",
            StringComparison.Ordinal);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json));

        Assert.Equal("http://collector:4318", valid.Telemetry.OtlpEndpoint);
        Assert.Equal("http/protobuf", valid.Telemetry.OtlpProtocol);
        Assert.Equal("json", valid.Telemetry.LogFormat);
        Assert.Contains(error.Problems, p => p.StartsWith("$.telemetry.otlp_endpoint", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.telemetry.otlp_protocol", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.telemetry.log_format", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Auth_ReadsTheKeys_AndReportsEveryInvalidOne()
    {
        static string With(string auth) => ValidConfig.Replace("\"schema\": \"arbor.root/v1\",", $"\"schema\": \"arbor.root/v1\", \"auth\": {auth},", StringComparison.Ordinal);
        var digest = "sha256:" + new string('a', 64);

        var valid = RootConfigLoader.Parse(With($$"""{ "keys": [ { "name": "ranking-web", "token": { "env": "RW_KEY" } }, { "name": "batch.v2", "digest": "{{digest}}" } ] }"""));
        var none = RootConfigLoader.Parse(ValidConfig);
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(With($$"""
            { "keys": [
              { "name": "a", "token": "k1" }, { "name": "a", "token": "k2" }, { "name": "anonymous", "token": "k3" }, { "name": "b c", "token": "k4" },
              { "name": "both", "token": "k5", "digest": "{{digest}}" }, { "name": "neither" }, { "name": "short", "digest": "sha256:abc" } ] }
            """)));

        Assert.Equal(["ranking-web", "batch.v2"], valid.Auth!.Keys.Select(k => k.Name));
        Assert.Equal("env:RW_KEY", valid.Auth.Keys[0].Token!.ToString());
        Assert.Null(none.Auth);
        Assert.Contains(error.Problems, p => p.StartsWith("$.auth.keys[1].name", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.auth.keys[2].name", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.auth.keys[3].name", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.auth.keys[4]: exactly one", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.auth.keys[5]: exactly one", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.auth.keys[6].digest", StringComparison.Ordinal));
        Assert.Equal(6, error.Problems.Count(p => p.StartsWith("$.auth", StringComparison.Ordinal)));
        Assert.DoesNotContain(error.Problems, p => p.Contains("k1", StringComparison.Ordinal) || p.Contains("k5", StringComparison.Ordinal));
    }

    [Fact]
    public void Serialize_ShowsWhereEachKeyComesFrom_NeverAnInlineKey()
    {
        var config = RootConfigLoader.Parse(ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            "\"schema\": \"arbor.root/v1\", \"auth\": { \"keys\": [ { \"name\": \"web\", \"token\": \"inline-key-77\" }, { \"name\": \"batch\", \"token\": { \"file\": \"keys/batch\" } } ] },",
            StringComparison.Ordinal));

        var json = RootConfigLoader.Serialize(config);

        Assert.DoesNotContain("inline-key-77", json, StringComparison.Ordinal);
        Assert.Contains("(redacted)", json, StringComparison.Ordinal);
        Assert.Contains("keys/batch", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MalformedJson_NamesTheLocation()
    {
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse("""{ "schema": "arbor.root/v1", "models": [ }"""));

        Assert.Single(error.Problems);
        Assert.Contains("$.models", error.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownProperty_IsRejected()
    {
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse("""{ "schema": "arbor.root/v1", "surfacez": {} }"""));

        Assert.Contains("surfacez", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CacheRefreshWait_IsReadAndMustBePositive()
    {
        var config = RootConfigLoader.Parse(ValidConfig.Replace("\"partitions\"", "\"cache\": { \"refresh_wait_ms\": 75 },\n  \"partitions\"", StringComparison.Ordinal));
        Assert.Equal(75, config.Cache.RefreshWaitMs);
        Assert.Equal(200, RootConfigLoader.Parse(ValidConfig).Cache.RefreshWaitMs);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(ValidConfig.Replace("\"partitions\"", "\"cache\": { \"refresh_wait_ms\": 0 },\n  \"partitions\"", StringComparison.Ordinal)));
        Assert.Contains(error.Problems, p => p.StartsWith("$.cache.refresh_wait_ms", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SharedCacheTier_IsOffByDefault_ReadWhenGiven_AndNeedsItsRedis()
    {
        Assert.Null(RootConfigLoader.Parse(ValidConfig).Cache.Shared);
        var config = RootConfigLoader.Parse(ValidConfig.Replace(
            "\"partitions\"", "\"cache\": { \"shared\": { \"redis\": { \"env\": \"TIER_REDIS\" }, \"ttl_seconds\": 60, \"prefix\": \"t:\" } },\n  \"partitions\"", StringComparison.Ordinal));
        Assert.Equal(60, config.Cache.Shared!.TtlSeconds);
        Assert.Equal("t:", config.Cache.Shared.Prefix);
        Assert.Equal(50, config.Cache.Shared.TimeoutMs);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(ValidConfig.Replace(
            "\"partitions\"", "\"cache\": { \"shared\": { \"ttl_seconds\": 0 } },\n  \"partitions\"", StringComparison.Ordinal)));
        Assert.Contains(error.Problems, p => p.StartsWith("$.cache.shared.redis", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.cache.shared: ttl_seconds", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_RedisStore_NeedsAConnectionString()
    {
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(ValidConfig.Replace(
            "{ \"kind\": \"sqlite\", \"path\": \"features.db\" }", "{ \"kind\": \"redis\" }", StringComparison.Ordinal)));

        Assert.Contains(error.Problems, p => p.StartsWith("$.feature_store.connection_string: required for redis", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Admission_IsReadAndBoundsMustMakeSense()
    {
        var config = RootConfigLoader.Parse(ValidConfig.Replace("\"partitions\"", "\"admission\": { \"max_in_flight\": 6, \"max_queued\": 0 },\n  \"partitions\"", StringComparison.Ordinal));
        Assert.Equal(6, config.Admission.MaxInFlight);
        Assert.Equal(0, config.Admission.MaxQueued);
        Assert.Null(RootConfigLoader.Parse(ValidConfig).Admission.MaxInFlight);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(ValidConfig.Replace("\"partitions\"", "\"admission\": { \"max_in_flight\": 0, \"max_queued\": -1 },\n  \"partitions\"", StringComparison.Ordinal)));
        Assert.Contains(error.Problems, p => p.StartsWith("$.admission.max_in_flight", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("$.admission.max_queued", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1310, false)]
    [InlineData(1311, true)]
    public void Parse_MaxCandidatesBeyondTheMessageLimit_IsRefusedWithTheOtherProblems(int maxCandidates, bool refused)
    {
        // Per candidate at least: two floats (4 + 4), a 8-float vector (32), an int64 at its widest
        // varint (10) = 50 bytes; the user's float adds 4 once. (65,536 - 4) / 50 = 1,310 fit.
        using var directory = new Arbor.Testing.TempDirectory("arbor-config-");
        File.WriteAllText(directory.Combine("registry.json"), Arbor.Signatures.Registry.FeatureRegistryJson.ToJsonString(new(Arbor.Signatures.Registry.FeatureRegistry.SchemaV1,
        [
            new("u_age", Arbor.Features.Values.FeatureType.Float, Arbor.Signatures.Registry.FeatureEntity.User),
            new("c_ctr", Arbor.Features.Values.FeatureType.Float, Arbor.Signatures.Registry.FeatureEntity.Candidate),
            new("c_len", Arbor.Features.Values.FeatureType.Float, Arbor.Signatures.Registry.FeatureEntity.Candidate),
            new("c_emb", Arbor.Features.Values.FeatureType.FloatVector, Arbor.Signatures.Registry.FeatureEntity.Candidate, Dim: 8),
            new("c_cat", Arbor.Features.Values.FeatureType.Int64, Arbor.Signatures.Registry.FeatureEntity.Candidate),
        ])));
        var json = ValidConfig.Replace(
            "\"schema\": \"arbor.root/v1\",",
            $"\"schema\": \"arbor.root/v1\", \"registry\": \"registry.json\", \"limits\": {{ \"max_candidates\": {maxCandidates}, \"max_message_bytes\": 65536, \"default_deadline_ms\": 100, \"leaf_timeout_ms\": 100 }},",
            StringComparison.Ordinal);

        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse(json, "root.json", directory.Path));

        Assert.Contains(error.Problems, p => p.StartsWith("$.limits.leaf_timeout_ms", StringComparison.Ordinal));
        Assert.Equal(refused, error.Problems.Any(p => p.StartsWith("$.limits.max_candidates", StringComparison.Ordinal) && p.Contains("at most 1310 candidates fit", StringComparison.Ordinal)));
        Assert.Equal(refused ? 2 : 1, error.Problems.Count);
    }

    [Fact]
    public void Serialize_ThenParse_RoundTrips()
    {
        var config = RootConfigLoader.Parse(ValidConfig);

        var again = RootConfigLoader.Parse(RootConfigLoader.Serialize(config));

        Assert.Equal(RootConfigLoader.Serialize(config), RootConfigLoader.Serialize(again));
    }

    [Fact]
    public void Serialize_InlineSecrets_AreRedacted_EverywhereTheConfigIsShown()
    {
        const string Password = "pw-0c5e";
        var config = RootConfigLoader.Parse(ValidConfig) with
        {
            FeatureStore = new FeatureStoreConfig { Kind = "postgres", ConnectionString = Arbor.Rpc.Security.SecretValue.Inline($"Host=10.1.2.3;Password={Password}") },
            Admin = new AdminConfig { Token = Arbor.Rpc.Security.SecretValue.Inline("admin-" + Password) },
        };

        var json = RootConfigLoader.Serialize(config);

        Assert.DoesNotContain(Password, json, StringComparison.Ordinal);
        Assert.DoesNotContain("10.1.2.3", json, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, config.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, config.FeatureStore.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecretReferences_AreKeptAsReferences()
    {
        var config = RootConfigLoader.Parse(ValidConfig.Replace("\"partitions\"", "\"admin\": { \"token\": { \"env\": \"ARBOR_ADMIN_TOKEN\" } },\n  \"partitions\"", StringComparison.Ordinal));

        Assert.Equal("ARBOR_ADMIN_TOKEN", config.Admin.Token!.EnvironmentVariable);
        Assert.Contains("\"env\": \"ARBOR_ADMIN_TOKEN\"", RootConfigLoader.Serialize(config), StringComparison.Ordinal);
    }
}
