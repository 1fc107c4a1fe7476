using Arbor.Rpc.Security;

namespace Arbor.Root.Configuration;

/// <summary>
/// The root's routing configuration file (<c>arbor.root/v1</c>): which models each surface uses,
/// which leaf partition serves each model, and the experiments that divert a stable share of users.
/// Reloaded at run time; a request reads one <see cref="Routing.RoutingTable"/> for its whole life.
/// </summary>
public sealed record RootConfig
{
    public const string SchemaV1 = "arbor.root/v1";

    public string Schema { get; init; } = SchemaV1;

    /// <summary>Partition name → its replicas.</summary>
    public Dictionary<string, PartitionConfig> Partitions { get; init; } = [];

    /// <summary>Model name → where and how it is served.</summary>
    public Dictionary<string, ModelRouteConfig> Models { get; init; } = [];

    /// <summary>Surface name → its models and experiments.</summary>
    public Dictionary<string, SurfaceConfig> Surfaces { get; init; } = [];

    /// <summary>How leaf replicas are found (DNS re-resolution) and checked (health probes). Read at start-up only.</summary>
    public DiscoveryConfig Discovery { get; init; } = new();

    /// <summary>How often and how patiently the root checks what its readiness depends on. Read at start-up only.</summary>
    public ReadinessConfig Readiness { get; init; } = new();

    /// <summary>The start-up warm-up that comes before readiness. Read at start-up only.</summary>
    public WarmupConfig Warmup { get; init; } = new();

    /// <summary>Global fan-out switches (trimming, compression); models may override them.</summary>
    public FanOutConfig FanOut { get; init; } = new();

    /// <summary>Shadow verification of trimmed calls. Reloaded with the file.</summary>
    public TrimmerConfig Trimmer { get; init; } = new();

    /// <summary>Request limits and the default deadline.</summary>
    public LimitsConfig Limits { get; init; } = new();

    /// <summary>Bounds on requests in flight and queued. Read at start-up only.</summary>
    public AdmissionConfig Admission { get; init; } = new();

    /// <summary>Where features come from. Read at start-up only.</summary>
    public FeatureStoreConfig FeatureStore { get; init; } = new();

    /// <summary>The shared feature cache. Read at start-up only.</summary>
    public CacheConfig Cache { get; init; } = new();

    /// <summary>The feature registry file (types and preprocessing); relative to the config file. Read at start-up only.</summary>
    public string? Registry { get; init; }

    /// <summary>The bundle mapping files the Feature Trimmer watches; relative to the config file. Read at start-up only.</summary>
    public List<string> Bundles { get; init; } = [];

    /// <summary>The admin listener's protection. Read at start-up only.</summary>
    public AdminConfig Admin { get; init; } = new();

    /// <summary>API keys on the public listeners; absent, the public API is open. Reloaded with the file.</summary>
    public AuthConfig? Auth { get; init; }

    /// <summary>OTLP export and the console log format. Read at start-up only.</summary>
    public Arbor.Telemetry.TelemetryConfig Telemetry { get; init; } = new();

    /// <summary>TLS on the public listeners and mutual TLS to leaves. Read at start-up only (its files are reloaded).</summary>
    public RootTlsConfig Tls { get; init; } = new();
}

/// <summary>The admin listener (health, admin, metrics).</summary>
public sealed record AdminConfig
{
    /// <summary>
    /// When set, every admin endpoint but <c>/healthz</c> and <c>/readyz</c> requires
    /// <c>authorization: Bearer TOKEN</c>. Inline, <c>{"env": NAME}</c> or <c>{"file": PATH}</c>.
    /// </summary>
    public SecretValue? Token { get; init; }
}

/// <summary>How the root sends requests to leaves.</summary>
public sealed record FanOutConfig
{
    /// <summary>Trim each leaf request to its model's allowlist (the Feature Trimmer). False sends the union.</summary>
    public bool Trimming { get; init; } = true;

    /// <summary>Request compression: identity, gzip, lz4 or zstd.</summary>
    public string Compression { get; init; } = "identity";

    /// <summary>Requests smaller than this go uncompressed.</summary>
    public int CompressionThresholdBytes { get; init; } = 1024;

    /// <summary>
    /// The share of a leaf connection's request bytes (0 to 1) compression must save to be used.
    /// While the codec's recent saving there is smaller, requests go uncompressed, but for one in
    /// 32 that compresses to measure it again; compression resumes when it saves enough. 0: always
    /// compress. Null (the default): <see cref="DefaultCompressionMinSaving"/>.
    /// </summary>
    public double? CompressionMinSaving { get; init; }

    /// <summary>The saving compression must reach when <see cref="CompressionMinSaving"/> is not set.</summary>
    public const double DefaultCompressionMinSaving = 0.06;

    /// <summary><see cref="CompressionMinSaving"/>, or its default.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double MinSaving => CompressionMinSaving ?? DefaultCompressionMinSaving;

    /// <summary>
    /// Attempts per leaf call: a call whose replica refused the connection or went away is sent to
    /// another replica of the partition while the deadline allows (scoring is idempotent).
    /// </summary>
    public int MaxLeafAttempts { get; init; } = 3;

    /// <summary>
    /// How long opening a connection to a leaf replica (TCP, and TLS when on) may take before the
    /// attempt counts as a replica that went away and the call goes to another replica. A replica
    /// whose pod is gone does not refuse a connection, it never answers; without this bound such an
    /// attempt would use up the whole leaf timeout. Default: a quarter of
    /// <c>limits.leaf_timeout_ms</c>, or 5 s without one. Read at start-up.
    /// </summary>
    public int? ConnectTimeoutMs { get; init; }

    /// <summary>
    /// How a request's models that go to the same partition are sent: <c>per_model</c> (one Score call
    /// each), <c>union</c> (one ScoreUnion call carrying the union of their columns once) or
    /// <c>auto</c> (per request, the union call when its encoded size is below the per-model calls'
    /// together). Shadow verification always sends per-model calls. Reloaded with the file.
    /// </summary>
    public string PartitionCalls { get; init; } = Arbor.Root.FanOut.PartitionCallModes.Auto;

    /// <summary>
    /// HTTP/2 connections the root keeps to each leaf replica, taken by its calls in turn (1 to 16).
    /// One connection carries every call of a request in one byte stream, which the leaf reads and
    /// decodes on one loop; on several, a request's calls are received side by side. Null (the
    /// default): <see cref="DefaultConnectionsPerReplica"/>. Read at start-up.
    /// </summary>
    public int? ConnectionsPerReplica { get; init; }

    /// <summary>The connections per replica when <see cref="ConnectionsPerReplica"/> is not set.</summary>
    public const int DefaultConnectionsPerReplica = 2;

    /// <summary><see cref="ConnectionsPerReplica"/>, or its default.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int Connections => ConnectionsPerReplica ?? DefaultConnectionsPerReplica;
}

/// <summary>How the root finds leaf replicas behind DNS names and checks ejected ones.</summary>
public sealed record DiscoveryConfig
{
    /// <summary>How often <c>dns:///</c> endpoints are resolved again (new replicas get traffic within one interval).</summary>
    public int ResolveIntervalMs { get; init; } = 5000;

    /// <summary>How often an ejected replica is checked with <c>grpc.health.v1.Health/Check</c>.</summary>
    public int HealthProbeIntervalMs { get; init; } = 250;
}

/// <summary>
/// Request validation limits: what one request may ask of the root, so that the work and the leaf
/// traffic a request causes stay in proportion to its size. Over a limit → INVALID_ARGUMENT
/// (RESOURCE_EXHAUSTED for bytes).
/// </summary>
public sealed record LimitsConfig
{
    public int MaxCandidates { get; init; } = 2000;

    /// <summary>Most distinct models a request may name in <c>models</c> (repeats of one model and version count once and are scored once).</summary>
    public int MaxModels { get; init; } = 16;

    /// <summary>Longest candidate id and user id, in UTF-8 bytes.</summary>
    public int MaxIdBytes { get; init; } = 256;

    /// <summary>Longest <c>request_id</c>, in UTF-8 bytes (it is copied into every leaf call).</summary>
    public int MaxRequestIdBytes { get; init; } = 128;

    /// <summary>Longest piece of client input (a model or surface name...) quoted back in an error message, in characters.</summary>
    public int MaxEchoChars { get; init; } = 64;

    /// <summary>The deadline of a request that carries none (grpc-timeout).</summary>
    public int DefaultDeadlineMs { get; init; } = 1000;

    /// <summary>
    /// Optional cap on each leaf call: a leaf slower than this gives its model DEADLINE_EXCEEDED
    /// while the request still answers with the other models' scores.
    /// </summary>
    public int? LeafTimeoutMs { get; init; }

    /// <summary>
    /// Largest gRPC message the root accepts from clients and exchanges with leaves (after
    /// decompression), and largest JSON request body; larger → RESOURCE_EXHAUSTED (JSON: 413).
    /// Read at start-up (a reload does not change it).
    /// </summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// A request that names one candidate id more than once: <c>score_once</c> (default) scores the
    /// id once and answers every entry, in request order; <c>reject</c> refuses the request with
    /// INVALID_ARGUMENT naming the id (<see cref="Scoring.DistinctCandidates"/>).
    /// </summary>
    public string DuplicateCandidates { get; init; } = Scoring.DistinctCandidates.ScoreOnce;
}

/// <summary>The feature store adapter and where it is.</summary>
public sealed record FeatureStoreConfig
{
    /// <summary>
    /// <c>sqlite</c> (embedded default), <c>postgres</c>, <c>redis</c> (Arbor's packed rows in Redis),
    /// or <c>feast</c> (a Feast online store, <see cref="Feast"/>).
    /// </summary>
    public string Kind { get; init; } = "sqlite";

    /// <summary>For sqlite: the database file, relative to the config file.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// For postgres: an Npgsql connection string; for redis: a <c>redis://</c> URL or StackExchange.Redis
    /// configuration string (<c>host:port,password=...</c>). Inline or (better) <c>{"env": NAME}</c> or
    /// <c>{"file": PATH}</c> (a mounted Secret). Never shown: serialised as where it comes from.
    /// </summary>
    public SecretValue? ConnectionString { get; init; }

    /// <summary>For redis: the prefix of every key the store uses (several stores can share one Redis).</summary>
    public string KeyPrefix { get; init; } = "arbor:";

    /// <summary>For feast: the Feast store and how Arbor's entities and features are found in it.</summary>
    public FeastStoreConfig? Feast { get; init; }
}

/// <summary>Bounds of the shared feature cache.</summary>
public sealed record CacheConfig
{
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    public double TtlSeconds { get; init; } = 300;

    /// <summary>How long a request waits for the refresh of an expired entry it could serve stale (<c>FeatureCacheOptions.RefreshWait</c>).</summary>
    public double RefreshWaitMs { get; init; } = 200;

    /// <summary>The optional shared second tier (Redis) between this cache and the store; off when absent.</summary>
    public SharedTierConfig? Shared { get; init; }
}

/// <summary>The shared cache tier (<c>Cache.Shared.SharedFeatureTier</c>).</summary>
public sealed record SharedTierConfig
{
    /// <summary>
    /// The tier's Redis: a <c>redis://</c> URL or StackExchange.Redis configuration string, inline or
    /// <c>{"env": NAME}</c> / <c>{"file": PATH}</c>. Never shown.
    /// </summary>
    public SecretValue? Redis { get; init; }

    /// <summary>An entry is served only while the store read that fetched it is younger than this.</summary>
    public double TtlSeconds { get; init; } = 300;

    /// <summary>Prefix of the tier's keys; roots sharing entries use the same one.</summary>
    public string Prefix { get; init; } = "arbor:tier:";

    /// <summary>How long a tier read may take before the request reads the store instead.</summary>
    public double TimeoutMs { get; init; } = 50;

    /// <summary>After a tier failure, how long the tier is skipped before it is tried again.</summary>
    public double FailureBackoffMs { get; init; } = 5000;

    /// <summary>Write-backs in flight at most; more are dropped (counted).</summary>
    public int MaxPendingWrites { get; init; } = 64;
}

/// <summary>
/// One leaf partition: the replicas that serve it, each a base address (<c>http://host:port</c>) or
/// a DNS name whose addresses are the replicas (<c>dns:///leaf-homefeed.arbor.svc:7000</c>).
/// </summary>
public sealed record PartitionConfig
{
    public List<string> Endpoints { get; init; } = [];
}

/// <summary>How the root reaches and calls one model.</summary>
public sealed record ModelRouteConfig
{
    /// <summary>The partition that serves the model.</summary>
    public string Partition { get; init; } = "";

    /// <summary>The version to request; empty means the leaf's default (latest serving) version.</summary>
    public string? Version { get; init; }

    /// <summary>Per-model switch: false sends this model the untrimmed batch.</summary>
    public bool? Trimming { get; init; }

    /// <summary>Per-model compression override (identity, gzip, lz4, zstd).</summary>
    public string? Compression { get; init; }
}

/// <summary>The models a surface scores with, and its experiments.</summary>
public sealed record SurfaceConfig
{
    public List<string> Models { get; init; } = [];

    public List<ExperimentConfig> Experiments { get; init; } = [];
}

/// <summary>
/// An experiment: a stable fraction of users (chosen by a salted hash of the user id) is scored by
/// <see cref="Model"/> as well as (<see cref="Replaces"/> unset) or instead of the named model.
/// </summary>
public sealed record ExperimentConfig
{
    public string Name { get; init; } = "";

    public string Model { get; init; } = "";

    /// <summary>The production model the variant replaces for the users in the experiment.</summary>
    public string? Replaces { get; init; }

    /// <summary>Share of users in the experiment, 0 to 1.</summary>
    public double Fraction { get; init; }

    /// <summary>Salt of the user hash; defaults to the experiment name so experiments are independent.</summary>
    public string? Salt { get; init; }
}
