using Arbor.Root.Configuration;
using Arbor.Root.FanOut;
using Microsoft.Extensions.Hosting;

namespace Arbor.Root.Hosting;

/// <summary>Re-resolves the <c>dns:///</c> leaf endpoints every <c>discovery.resolve_interval_ms</c>.</summary>
public sealed class LeafDiscoveryService(LeafClientPool clients, LoadedRootConfig startup) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        clients.RunDiscoveryAsync(TimeSpan.FromMilliseconds(startup.Config.Discovery.ResolveIntervalMs), stoppingToken);
}
