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

    // Asking another process costs a request each time: poll it less often.
    private static readonly TimeSpan RemotePollInterval = TimeSpan.FromMilliseconds(100);

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

    /// <summary>As <see cref="WaitUntilAsync(Func{bool}, string, TimeSpan, CancellationToken)"/> for a condition that must ask another process.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting until {what}");
            }

            await Task.Delay(RemotePollInterval, cancellationToken);
        }
    }
}
