using Microsoft.Extensions.Hosting;

namespace Arbor.Trimming.Hosting;

/// <summary>Starts the trimmer with the host (bundle failures are reported, never thrown) and stops its timers.</summary>
public sealed class FeatureTrimmerHostedService(FeatureTrimmer trimmer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        trimmer.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        trimmer.Dispose();
        return Task.CompletedTask;
    }
}
