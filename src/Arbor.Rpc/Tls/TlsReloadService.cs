using Arbor.Watching;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Rpc.Tls;

/// <summary>
/// Re-reads the files of every <see cref="TlsCredentialSource"/> of a process when they change
/// (one <see cref="SourceWatcher"/>: file system events, debounced, and a rescan each interval) and
/// logs what changed: new credentials (event 7001), or a change
/// rejected with the credentials in force kept (event 7002, once per distinct error).
/// </summary>
public sealed partial class TlsReloadService(IReadOnlyList<TlsCredentialSource> sources, TimeSpan interval, TimeProvider time, ILogger<TlsReloadService>? logger = null) : BackgroundService
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>The sources this service reloads.</summary>
    public IReadOnlyList<TlsCredentialSource> Sources => sources;

    private readonly Lock _gate = new();

    /// <summary>Checks every source once; true when any published new credentials.</summary>
    public bool CheckNow()
    {
        lock (_gate)
        {
            return Check();
        }
    }

    private bool Check()
    {
        var changed = false;
        foreach (var source in sources)
        {
            var before = source.LastError;
            if (source.CheckNow())
            {
                changed = true;
                var certificate = source.Current.Certificate;
                LogReloaded(source.Name, certificate.Subject, certificate.NotAfter.ToUniversalTime());
            }
            else if (source.LastError is { } error && error != before)
            {
                LogRejected(source.Name, error);
            }
        }

        return changed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = new SourceWatcher(
            () => sources.SelectMany(s => s.Files.Paths),
            () => CheckNow(),
            new WatchOptions { RescanInterval = interval },
            time,
            e => LogCheckFailed(e),
            (folder, e) => LogWatchFailed(folder, e.Message));
        watcher.CheckNow();
        watcher.Start();
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "TLS credentials {Name} reloaded: {Subject}, valid until {NotAfter:u}")]
    private partial void LogReloaded(string name, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Error, Message = "TLS credentials check failed; the credentials in force stay")]
    private partial void LogCheckFailed(Exception error);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Cannot watch {Folder} for TLS file changes (rescans go on): {Error}")]
    private partial void LogWatchFailed(string folder, string error);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "TLS credentials {Name} change rejected; the credentials in force stay: {Error}")]
    private partial void LogRejected(string name, string error);
}
