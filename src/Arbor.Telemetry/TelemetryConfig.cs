namespace Arbor.Telemetry;

/// <summary>
/// The <c>telemetry</c> section of a root or leaf configuration file (read at start-up only):
/// where OTLP goes and how the console log is written. Every field is optional.
/// </summary>
public sealed record TelemetryConfig
{
    /// <summary>
    /// The OTLP collector, e.g. <c>http://otel-collector:4317</c>; unset uses
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, and with neither nothing is pushed (<c>/metrics</c> is always served).
    /// </summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public string? OtlpProtocol { get; init; }

    /// <summary><c>simple</c> or <c>json</c>; unset reads <c>Logging__Console__FormatterName</c>, else simple.</summary>
    public string? LogFormat { get; init; }

    /// <summary>Adds a problem (prefixed with <paramref name="path"/>) for every invalid field.</summary>
    public void Validate(string path, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (OtlpEndpoint is { Length: > 0 } endpoint
            && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            problems.Add($"{path}.otlp_endpoint: '{endpoint}' is not an http:// or https:// address");
        }

        if (OtlpProtocol is { Length: > 0 } protocol && protocol != "grpc" && protocol != "http/protobuf")
        {
            problems.Add($"{path}.otlp_protocol: '{protocol}' is not grpc or http/protobuf");
        }

        if (LogFormat is { Length: > 0 } format && format != ConsoleLogFormat.Simple && format != ConsoleLogFormat.Json)
        {
            problems.Add($"{path}.log_format: '{format}' is not simple or json");
        }
    }
}
