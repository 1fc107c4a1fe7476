namespace Arbor.Cli.Cluster;

/// <summary>
/// Keeps child processes running: a child that exits (other than at shutdown) is reported with the
/// tail of its output and started again after a back-off that doubles from
/// <see cref="InitialBackoff"/> up to <see cref="MaxBackoff"/>, and resets once the child has stayed
/// up for <see cref="StableAfter"/>. One dead child never stops the others.
/// </summary>
public sealed class ProcessSupervisor(TimeProvider time, Action<string> report)
{
    /// <summary>The first wait before a restart.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before a restart.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a child must run for its back-off to start over.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Lines of output shown when a child exits.</summary>
    public int TailLines { get; init; } = 20;

    /// <summary>Supervises every process until <paramref name="stop"/> fires.</summary>
    public Task RunAsync(IEnumerable<ManagedProcess> processes, CancellationToken stop) =>
        Task.WhenAll(processes.Select(p => SuperviseAsync(p, stop)));

    private async Task SuperviseAsync(ManagedProcess process, CancellationToken stop)
    {
        var backoff = InitialBackoff;
        try
        {
            while (true)
            {
                var started = time.GetTimestamp();
                await process.WaitForExitAsync(stop).ConfigureAwait(false);
                if (time.GetElapsedTime(started) >= StableAfter)
                {
                    backoff = InitialBackoff;
                }

                report($"{process.Name} exited with code {process.ExitCode}; restarting in {backoff.TotalMilliseconds:0} ms. Its last lines{process.LogFileNote}:\n{process.Tail(TailLines)}");
                await Task.Delay(backoff, time, stop).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                process.Restart();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutdown: the cluster stops the children.
        }
    }
}
