using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbor.Root.Configuration;

/// <summary>Reads and validates root configuration files.</summary>
public static class RootConfigLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static RootConfig Load(string path) => LoadFile(path).Config;

    /// <summary>
    /// Reads and parses the file once, returning the configuration together with the SHA-256 of the
    /// exact bytes it was parsed from (what a reloader compares later contents against).
    /// </summary>
    public static LoadedRootConfig LoadFile(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RootConfigException(path, [$"cannot read the file: {e.Message}"]);
        }

        return new LoadedRootConfig(
            Parse(System.Text.Encoding.UTF8.GetString(content), path, Path.GetDirectoryName(Path.GetFullPath(path))),
            System.Security.Cryptography.SHA256.HashData(content));
    }

    /// <summary>
    /// Parses and validates a configuration. With <paramref name="baseDirectory"/> (the config file's
    /// folder) the limits are also checked against the feature registry the file names
    /// (<see cref="ValidatePayload"/>); every problem is reported at once.
    /// </summary>
    public static RootConfig Parse(string json, string source = "<inline>", string? baseDirectory = null)
    {
        RootConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<RootConfig>(json, Json);
        }
        catch (JsonException e)
        {
            throw new RootConfigException(source, [$"{e.Path ?? "$"}: {e.Message}"]);
        }

        if (config is null)
        {
            throw new RootConfigException(source, ["$: the document is null"]);
        }

        var problems = Validate(config);
        if (baseDirectory is not null)
        {
            problems.AddRange(ValidatePayload(config, baseDirectory));
        }

        if (problems.Count > 0)
        {
            throw new RootConfigException(source, problems);
        }

        return config;
    }

    /// <summary>The configuration as JSON; secrets appear as where they come from, inline ones as <c>(redacted)</c>.</summary>
    public static string Serialize(RootConfig config) => JsonSerializer.Serialize(config, Json);

    /// <summary>Every problem of a configuration, each with its JSON path.</summary>
    public static List<string> Validate(RootConfig config)
    {
        var problems = new List<string>();
        config.Telemetry.Validate("$.telemetry", problems);
        if (config.Schema != RootConfig.SchemaV1)
        {
            problems.Add($"$.schema: expected '{RootConfig.SchemaV1}', found '{config.Schema}'");
        }

        if (!IsKnownCompression(config.FanOut.Compression))
        {
            problems.Add($"$.fan_out.compression: unknown compression '{config.FanOut.Compression}' (identity, gzip, lz4, zstd)");
        }

        if (config.FanOut.CompressionThresholdBytes < 0)
        {
            problems.Add("$.fan_out.compression_threshold_bytes: must not be negative");
        }

        if (config.FanOut.CompressionMinSaving is { } minSaving && !(minSaving is >= 0 and < 1))
        {
            problems.Add("$.fan_out.compression_min_saving: must be at least 0 and below 1");
        }

        if (!(config.Trimmer.ShadowFraction is >= 0 and <= 1))
        {
            problems.Add("$.trimmer.shadow_fraction: must be from 0 to 1");
        }

        if (config.Trimmer.ShadowMaxInFlight is < 1 or > 1024)
        {
            problems.Add("$.trimmer.shadow_max_in_flight: must be from 1 to 1024");
        }

        if (config.Limits.MaxCandidates < 1)
        {
            problems.Add("$.limits.max_candidates: must be at least 1");
        }

        if (config.Limits.MaxModels < 1)
        {
            problems.Add("$.limits.max_models: must be at least 1");
        }

        if (config.Limits.MaxIdBytes < 1 || config.Limits.MaxRequestIdBytes < 0)
        {
            problems.Add("$.limits: max_id_bytes must be at least 1 and max_request_id_bytes not negative");
        }

        if (config.Limits.MaxEchoChars < 8)
        {
            problems.Add("$.limits.max_echo_chars: must be at least 8");
        }

        if (config.Limits.DefaultDeadlineMs < 1)
        {
            problems.Add("$.limits.default_deadline_ms: must be at least 1");
        }

        if (config.Limits.LeafTimeoutMs is < 1)
        {
            problems.Add("$.limits.leaf_timeout_ms: must be at least 1");
        }
        else if (config.Limits.LeafTimeoutMs is { } leafTimeout && leafTimeout >= config.Limits.DefaultDeadlineMs)
        {
            problems.Add($"$.limits.leaf_timeout_ms: {leafTimeout} ms must be below limits.default_deadline_ms ({config.Limits.DefaultDeadlineMs} ms), or a slow leaf fails whole requests instead of its own models");
        }

        if (config.Limits.MaxMessageBytes < 1024)
        {
            problems.Add("$.limits.max_message_bytes: must be at least 1024");
        }

        if (config.Limits.DuplicateCandidates is not (Scoring.DistinctCandidates.ScoreOnce or Scoring.DistinctCandidates.Reject))
        {
            problems.Add($"$.limits.duplicate_candidates: unknown setting '{config.Limits.DuplicateCandidates}' (score_once, reject)");
        }

        if (config.Admission.MaxInFlight is < 1)
        {
            problems.Add($"$.admission.max_in_flight: {config.Admission.MaxInFlight} must be at least 1");
        }

        if (config.Admission.ReleaseMemoryAfterIdleSeconds < 0)
        {
            problems.Add($"$.admission.release_memory_after_idle_seconds: {config.Admission.ReleaseMemoryAfterIdleSeconds} must not be negative (0 turns it off)");
        }

        if (config.Admission.MaxQueued is < 0)
        {
            problems.Add($"$.admission.max_queued: {config.Admission.MaxQueued} must not be negative");
        }

        switch (config.FeatureStore.Kind)
        {
            case "sqlite" when string.IsNullOrEmpty(config.FeatureStore.Path):
                problems.Add("$.feature_store.path: required for sqlite");
                break;
            case "postgres" when config.FeatureStore.ConnectionString is null:
                problems.Add("$.feature_store.connection_string: required for postgres");
                break;
            case "redis" when config.FeatureStore.ConnectionString is null:
                problems.Add("$.feature_store.connection_string: required for redis");
                break;
            case "redis" when string.IsNullOrEmpty(config.FeatureStore.KeyPrefix):
                problems.Add("$.feature_store.key_prefix: must not be empty for redis");
                break;
            case "sqlite" or "postgres" or "redis":
                break;
            case "feast" when config.FeatureStore.Feast is null:
                problems.Add("$.feature_store.feast: required for feast");
                break;
            case "feast":
                FeastConfigValidation.Validate(config.FeatureStore.Feast, problems);
                break;
            default:
                problems.Add($"$.feature_store.kind: unknown kind '{config.FeatureStore.Kind}' (sqlite, postgres, redis, feast)");
                break;
        }

        if (config.Discovery.ResolveIntervalMs < 100)
        {
            problems.Add("$.discovery.resolve_interval_ms: must be at least 100");
        }

        if (config.Discovery.HealthProbeIntervalMs < 10)
        {
            problems.Add("$.discovery.health_probe_interval_ms: must be at least 10");
        }

        if (config.Readiness.CheckIntervalMs < 10)
        {
            problems.Add("$.readiness.check_interval_ms: must be at least 10");
        }

        if (config.Readiness.DependencyOutage is not (ReadinessConfig.StayReady or ReadinessConfig.NotReady))
        {
            problems.Add($"$.readiness.dependency_outage: must be \"{ReadinessConfig.StayReady}\" or \"{ReadinessConfig.NotReady}\"");
        }

        if (config.Readiness.CheckTimeoutMs < 10)
        {
            problems.Add("$.readiness.check_timeout_ms: must be at least 10");
        }

        if (!(config.Warmup.MaxSeconds > 0) || config.Warmup.MaxSeconds > 600)
        {
            problems.Add("$.warmup.max_seconds: must be more than 0 and at most 600");
        }

        if (config.Warmup.MaxRequests < 1)
        {
            problems.Add("$.warmup.max_requests: must be at least 1");
        }

        if (config.Warmup.Candidates < 1)
        {
            problems.Add("$.warmup.candidates: must be at least 1");
        }

        if (config.Warmup.PreloadFile is { } preload && string.IsNullOrWhiteSpace(preload))
        {
            problems.Add("$.warmup.preload_file: must name a file when given");
        }

        if (config.Tls.Server is { } server && (string.IsNullOrWhiteSpace(server.Certificate) || server.Key is null))
        {
            problems.Add("$.tls.server: certificate and key are required");
        }

        if (config.Tls.Leaves is { } leaves && (string.IsNullOrWhiteSpace(leaves.Certificate) || leaves.Key is null || string.IsNullOrWhiteSpace(leaves.Ca)))
        {
            problems.Add("$.tls.leaves: certificate, key and ca are required (mutual TLS: the CA bundle that signs the leaves)");
        }

        if (config.Tls.ReloadIntervalMs < 10)
        {
            problems.Add("$.tls.reload_interval_ms: must be at least 10");
        }

        ValidateAuth(config.Auth, problems);

        if (!Arbor.Root.FanOut.PartitionCallModes.TryParse(config.FanOut.PartitionCalls, out _))
        {
            problems.Add($"$.fan_out.partition_calls: unknown mode '{config.FanOut.PartitionCalls}' ({Arbor.Root.FanOut.PartitionCallModes.PerModel}, {Arbor.Root.FanOut.PartitionCallModes.Union}, {Arbor.Root.FanOut.PartitionCallModes.Auto})");
        }

        if (config.FanOut.MaxLeafAttempts is < 1 or > 10)
        {
            problems.Add("$.fan_out.max_leaf_attempts: must be from 1 to 10");
        }

        if (config.FanOut.ConnectionsPerReplica is < 1 or > Arbor.Rpc.Client.RpcChannelOptions.MaxConnections)
        {
            problems.Add($"$.fan_out.connections_per_replica: must be from 1 to {Arbor.Rpc.Client.RpcChannelOptions.MaxConnections}");
        }

        if (config.FanOut.ConnectTimeoutMs is < 1)
        {
            problems.Add("$.fan_out.connect_timeout_ms: must be at least 1");
        }
        else if (config.FanOut.ConnectTimeoutMs is { } connect && config.Limits.LeafTimeoutMs is { } leafLimit && connect >= leafLimit)
        {
            problems.Add($"$.fan_out.connect_timeout_ms: {connect} ms must be below limits.leaf_timeout_ms ({leafLimit} ms), or a replica that never answers uses up the call before another one is tried");
        }

        if (config.Cache.MaxBytes < 0 || config.Cache.TtlSeconds < 0)
        {
            problems.Add("$.cache: max_bytes and ttl_seconds must not be negative");
        }

        if (!(config.Cache.RefreshWaitMs > 0))
        {
            problems.Add("$.cache.refresh_wait_ms: must be positive");
        }

        if (config.Cache.Shared is { } shared)
        {
            if (shared.Redis is null)
            {
                problems.Add("$.cache.shared.redis: required (the tier's Redis connection string)");
            }

            if (!(shared.TtlSeconds > 0) || !(shared.TimeoutMs > 0))
            {
                problems.Add("$.cache.shared: ttl_seconds and timeout_ms must be positive");
            }

            if (shared.FailureBackoffMs < 0 || shared.MaxPendingWrites <= 0)
            {
                problems.Add("$.cache.shared: failure_backoff_ms must not be negative and max_pending_writes must be positive");
            }

            if (string.IsNullOrEmpty(shared.Prefix))
            {
                problems.Add("$.cache.shared.prefix: must not be empty");
            }
        }

        foreach (var (name, partition) in config.Partitions)
        {
            if (partition.Endpoints.Count == 0)
            {
                problems.Add($"$.partitions.{name}.endpoints: a partition needs at least one endpoint");
            }

            for (var i = 0; i < partition.Endpoints.Count; i++)
            {
                if (!Routing.LeafEndpoint.TryParse(partition.Endpoints[i], out _, out var problem))
                {
                    problems.Add($"$.partitions.{name}.endpoints[{i}]: {problem}");
                }
            }
        }

        foreach (var (name, model) in config.Models)
        {
            if (!config.Partitions.ContainsKey(model.Partition))
            {
                problems.Add($"$.models.{name}.partition: unknown partition '{model.Partition}'");
            }

            if (model.Compression is { } codec && !IsKnownCompression(codec))
            {
                problems.Add($"$.models.{name}.compression: unknown compression '{codec}' (identity, gzip, lz4, zstd)");
            }
        }

        foreach (var (name, surface) in config.Surfaces)
        {
            if (surface.Models.Count == 0)
            {
                problems.Add($"$.surfaces.{name}.models: a surface needs at least one model");
            }

            for (var i = 0; i < surface.Models.Count; i++)
            {
                if (!config.Models.ContainsKey(surface.Models[i]))
                {
                    problems.Add($"$.surfaces.{name}.models[{i}]: unknown model '{surface.Models[i]}'");
                }
            }

            for (var i = 0; i < surface.Experiments.Count; i++)
            {
                var experiment = surface.Experiments[i];
                var path = $"$.surfaces.{name}.experiments[{i}]";
                if (string.IsNullOrEmpty(experiment.Name))
                {
                    problems.Add($"{path}.name: required");
                }

                if (!config.Models.ContainsKey(experiment.Model))
                {
                    problems.Add($"{path}.model: unknown model '{experiment.Model}'");
                }

                if (experiment.Replaces is { } replaced && !surface.Models.Contains(replaced))
                {
                    problems.Add($"{path}.replaces: '{replaced}' is not a model of surface '{name}'");
                }

                if (experiment.Fraction is < 0 or > 1 || double.IsNaN(experiment.Fraction))
                {
                    problems.Add($"{path}.fraction: {experiment.Fraction} is outside [0, 1]");
                }
            }
        }

        return problems;
    }

    private static void ValidateAuth(AuthConfig? auth, List<string> problems)
    {
        if (auth is null)
        {
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < auth.Keys.Count; i++)
        {
            var key = auth.Keys[i];
            var path = $"$.auth.keys[{i}]";
            if (!Authentication.ApiClient.IsValidName(key.Name))
            {
                problems.Add($"{path}.name: '{ClientNameEcho(key.Name)}' must be 1 to {Authentication.ApiClient.MaxNameLength} letters, digits, '.', '_' or '-' (and not '{Authentication.ApiClient.AnonymousName}')");
            }
            else if (!names.Add(key.Name))
            {
                problems.Add($"{path}.name: '{key.Name}' names another key too");
            }

            if ((key.Token is null) == (key.Digest is null))
            {
                problems.Add($"{path}: exactly one of token or digest is required");
            }
            else if (key.Digest is { IsInline: true } digest && !Arbor.Rpc.Security.BearerTokenSet.TryParseDigest(digest.Resolve(""), out _))
            {
                problems.Add($"{path}.digest: must be 'sha256:' and 64 hex digits");
            }
        }
    }

    private static string ClientNameEcho(string name) => name.Length > 64 ? name[..64] + "..." : name;

    /// <summary>
    /// Refuses limits no request could live with: <c>max_candidates</c> rows of every registered
    /// feature (what an untrimmed model receives) beyond <c>max_message_bytes</c>, counting each
    /// feature at the least its largest value takes on the wire (<see cref="CandidatePayloadBound"/>).
    /// </summary>
    public static List<string> ValidatePayload(RootConfig config, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<string>();
        if (config.Registry is not { } registryPath)
        {
            return problems;
        }

        Arbor.Signatures.Registry.FeatureRegistry registry;
        try
        {
            registry = Arbor.Signatures.Registry.FeatureRegistryJson.ReadFile(Path.GetFullPath(registryPath, baseDirectory));
        }
        catch (Arbor.Signatures.Validation.ArtefactException e)
        {
            problems.Add($"$.registry: {e.Message}");
            return problems;
        }

        var bound = CandidatePayloadBound.Of(registry);
        var bytes = bound.RequestBytes(config.Limits.MaxCandidates);
        if (config.Limits.MaxCandidates >= 1 && bytes > config.Limits.MaxMessageBytes)
        {
            var fits = bound.BytesPerCandidate == 0 ? 0 : Math.Max(0, (config.Limits.MaxMessageBytes - bound.SharedBytes) / bound.BytesPerCandidate);
            problems.Add(
                $"$.limits.max_candidates: {config.Limits.MaxCandidates} candidates × at least {bound.BytesPerCandidate} bytes each (every candidate feature of the registry, " +
                $"as an untrimmed model receives them) make leaf requests of at least {bytes} bytes, beyond limits.max_message_bytes ({config.Limits.MaxMessageBytes}); " +
                $"at most {fits} candidates fit");
        }

        return problems;
    }

    internal static bool IsKnownCompression(string name) => name is "identity" or "gzip" or "lz4" or "zstd";
}
