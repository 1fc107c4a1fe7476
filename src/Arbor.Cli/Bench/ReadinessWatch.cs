using System.Diagnostics;

namespace Arbor.Cli.Bench;

/// <summary>
/// Polls a readiness endpoint every <see cref="Interval"/> in the background and adds up the time it
/// answered anything but 200 (or did not answer), for a bench to report how long a process was unready.
/// </summary>
internal sealed class ReadinessWatch : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _unreadyTicks;

    public ReadinessWatch(HttpClient http, Uri readyz)
    {
        _loop = Task.Run(() => WatchAsync(http, readyz, _stop.Token));
    }

    /// <summary>Seconds seen unready since the watch began.</summary>
    public double UnreadySeconds => TimeSpan.FromTicks(Interlocked.Read(ref _unreadyTicks)).TotalSeconds;

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task WatchAsync(HttpClient http, Uri readyz, CancellationToken cancellationToken)
    {
        var last = Stopwatch.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            bool ready;
            try
            {
                using var response = await http.GetAsync(readyz, cancellationToken);
                ready = response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                ready = false;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ready = false;
            }

            var now = Stopwatch.GetTimestamp();
            if (!ready)
            {
                Interlocked.Add(ref _unreadyTicks, Stopwatch.GetElapsedTime(last, now).Ticks);
            }

            last = now;
            await Task.Delay(Interval, cancellationToken);
        }
    }
}
