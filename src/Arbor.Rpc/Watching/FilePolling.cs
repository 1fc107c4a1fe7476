namespace Arbor.Rpc.Watching;

/// <summary>The poll loop of watched files: one check now, then one per interval until cancelled.</summary>
public static class FilePolling
{
    /// <summary>
    /// Runs <paramref name="check"/> at once and then every <paramref name="interval"/> on
    /// <paramref name="time"/>'s clock; returns when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task RunAsync(TimeSpan interval, TimeProvider time, Action check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(check);
        check();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                check();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }
}
