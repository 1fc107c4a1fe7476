using Microsoft.Extensions.Hosting;

namespace Arbor.Root.Health;

/// <summary>
/// Checks something the root's readiness depends on: once before the server accepts calls
/// (<see cref="IHostedLifecycleService.StartingAsync"/> runs before any hosted service starts,
/// Kestrel included), then every interval until the host stops, so readiness follows recoveries
/// without a restart. Readers see the result of the last check, never wait for one.
/// </summary>
public abstract class PeriodicReadinessProbe(TimeSpan interval, TimeProvider time) : IHostedLifecycleService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private long _checks;
    private int _disposed;

    protected TimeProvider Time => time;

    /// <summary>Completed checks (tests wait on this rather than on time).</summary>
    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>Raised after every check, on the checking thread, once its result is readable.</summary>
    public event Action? Checked;

    /// <summary>
    /// One check; records its result. An exception from the first check (before the server starts)
    /// fails the start; later ones must be caught and recorded by the implementation.
    /// </summary>
    protected abstract Task CheckOnceAsync(bool starting, CancellationToken cancellationToken);

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await CheckOnceAsync(starting: true, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _checks);
        Checked?.Invoke();
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        // Registered both as itself and as a hosted service: disposed twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // A check that failed while stopping: nothing is left to report it to.
        }

        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                await CheckOnceAsync(starting: false, _stopping.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _checks);
                Checked?.Invoke();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
