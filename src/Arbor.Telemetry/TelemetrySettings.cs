namespace Arbor.Telemetry;

/// <summary>
/// What a root or leaf process exports and where: its service identity, the meters and activity
/// sources it owns, the OTLP collector (none: metrics are only scraped from <c>/metrics</c>) and the
/// console log format.
/// </summary>
public sealed record TelemetrySettings
{
    /// <summary>The OpenTelemetry <c>service.name</c> (<c>arbor-root</c>, <c>arbor-leaf</c>).</summary>
    public required string ServiceName { get; init; }

    /// <summary>The <c>service.instance.id</c>; null lets the SDK pick one.</summary>
    public string? ServiceInstanceId { get; init; }

    /// <summary>Further resource attributes (a leaf's partition).</summary>
    public IReadOnlyDictionary<string, object> ResourceAttributes { get; init; } = new Dictionary<string, object>();

    /// <summary>Meter names to collect (besides the runtime's).</summary>
    public IReadOnlyList<string> Meters { get; init; } = [];

    /// <summary>ActivitySource names to trace.</summary>
    public IReadOnlyList<string> ActivitySources { get; init; } = [];

    /// <summary>
    /// The OTLP collector from the process's config file; when null, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// (environment or configuration) is used, and when neither is set nothing is pushed.
    /// </summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary><c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318) for <see cref="OtlpEndpoint"/>.</summary>
    public string? OtlpProtocol { get; init; }

    /// <summary>
    /// <c>simple</c> (one line per entry) or <c>json</c> (one JSON object per line); null reads
    /// <c>Logging:Console:FormatterName</c> from configuration (<c>Logging__Console__FormatterName</c>).
    /// </summary>
    public string? LogFormat { get; init; }
}
