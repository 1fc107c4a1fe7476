namespace Arbor.Testing;

/// <summary>
/// Waits for a condition that another thread or process makes true (a connection closing, a
/// reload finishing, traffic reaching a count), checking it between short yields and failing with a
/// <see cref="TimeoutException"/> after a bounded time. The one place tests poll; nothing here
/// waits a fixed time in place of a condition.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting until {what}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
