using System.Net;

namespace Arbor.Root.Hosting;

/// <summary>How a root process is started: its config file and where it listens.</summary>
public sealed class RootHostOptions
{
    /// <summary>The root config file (routing, fan-out, store, registry, bundles).</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The gRPC (HTTP/2 cleartext) endpoint serving <c>arbor.v1.Root/Score</c>.</summary>
    public IPEndPoint GrpcEndpoint { get; init; } = new(IPAddress.Loopback, 7100);

    /// <summary>The HTTP/1.1 endpoint serving JSON scoring, health and admin.</summary>
    public IPEndPoint HttpEndpoint { get; init; } = new(IPAddress.Loopback, 7180);

    /// <summary>How often the config file is checked for changes.</summary>
    public TimeSpan ConfigPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How the root drains when asked to stop (SIGTERM): unready at once, serve on for the delay, finish calls.</summary>
    public Arbor.Rpc.Server.DrainOptions Drain { get; init; } = new();
}
