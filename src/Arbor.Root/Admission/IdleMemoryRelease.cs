using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Admission;

/// <summary>
/// Gives memory back after a burst. The GC keeps the heap a burst grew (in a run at 5× the
/// sustainable load the root stayed at its peak resident set for the minute after), so once the root
/// has served traffic and then seen no request finish and none in flight for the configured idle
/// time, it runs one aggressive, compacting full collection (after the host drops what it keeps for
/// reuse, such as Kestrel's free receive blocks), which returns the free heap to the operating
/// system. Once per idle period; never while requests are in flight.
/// </summary>
public sealed partial class IdleMemoryRelease(
    Func<long> finishedRequests, Func<int> inFlight, TimeSpan idle, TimeProvider time, ILogger<IdleMemoryRelease> logger, Action? release = null)
    : BackgroundService
{
    private readonly Action _release = release ?? ReleaseHeap;
    private long _lastCount;
    private long _lastChange = time.GetTimestamp();
    private bool _servedSinceRelease;
    private int _releases;

    /// <summary>Collections run since start.</summary>
    public int Releases => Volatile.Read(ref _releases);

    /// <summary>Looks once: true when it released memory now.</summary>
    public bool Check()
    {
        var count = finishedRequests();
        var now = time.GetTimestamp();
        if (count != _lastCount || inFlight() > 0)
        {
            _servedSinceRelease |= count != _lastCount;
            _lastCount = count;
            _lastChange = now;
            return false;
        }

        if (!_servedSinceRelease || time.GetElapsedTime(_lastChange, now) < idle)
        {
            return false;
        }

        var before = Environment.WorkingSet;
        _release();
        _servedSinceRelease = false;
        Interlocked.Increment(ref _releases);
        LogReleased(logger, idle.TotalSeconds, before / (1024 * 1024), Environment.WorkingSet / (1024 * 1024));
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (idle <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            Check();
        }
    }

    /// <summary>The release: an aggressive, compacting full collection.</summary>
    public static void ReleaseHeap() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Information, Message = "Idle for {IdleSeconds} s after serving: released memory, working set {BeforeMb} MB -> {AfterMb} MB")]
    private static partial void LogReleased(ILogger logger, double idleSeconds, long beforeMb, long afterMb);
}
