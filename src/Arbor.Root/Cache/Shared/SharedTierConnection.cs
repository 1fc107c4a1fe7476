using Microsoft.Extensions.Hosting;

namespace Arbor.Root.Cache.Shared;

/// <summary>
/// Lets the root's start wait (briefly, bounded) for the shared tier's first connection, so that a
/// restarted root serves its first requests from a warm tier. A tier that is down does not stop the
/// start: it is tried again in the background.
/// </summary>
internal sealed class SharedTierConnection(SharedFeatureTier tier) : IHostedService
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    public Task StartAsync(CancellationToken cancellationToken) => tier.ConnectAsync(Wait, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
