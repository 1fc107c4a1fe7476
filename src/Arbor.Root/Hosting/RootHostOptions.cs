using System.Net;

namespace Arbor.Root.Hosting;

/// <summary>How a root process is started: its config file and where it listens.</summary>
public sealed class RootHostOptions
{
    /// <summary>The root config file (routing, fan-out, store, registry, bundles).</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The public gRPC (HTTP/2) endpoint: <c>arbor.v1.Root/Score</c>, gRPC health and reflection, nothing else.</summary>
    public IPEndPoint GrpcEndpoint { get; init; } = new(IPAddress.Loopback, 7100);

    /// <summary>The public HTTP/1.1 endpoint: JSON scoring (<c>POST /v1/score</c>), nothing else.</summary>
    public IPEndPoint HttpEndpoint { get; init; } = new(IPAddress.Loopback, 7180);

    /// <summary>The operators' HTTP/1.1 endpoint: <c>/healthz</c>, <c>/readyz</c>, <c>/admin/*</c>, metrics. Keep it off public networks.</summary>
    public IPEndPoint AdminEndpoint { get; init; } = new(IPAddress.Loopback, 7190);

    /// <summary>How often the config file is checked for changes.</summary>
    public TimeSpan ConfigPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How the root drains when asked to stop (SIGTERM): unready at once, serve on for the delay, finish calls.</summary>
    public Arbor.Rpc.Server.DrainOptions Drain { get; init; } = new();
}
