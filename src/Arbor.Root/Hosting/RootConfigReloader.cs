using System.Security.Cryptography;
using Arbor.Root.Configuration;
using Arbor.Root.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// Re-reads the root config file when its content changes (polled by content hash, so renames,
/// in-place writes and ConfigMap symlink swaps are all seen) and publishes the new routing. A file
/// that fails to parse or validate is logged and the routing in force stays.
/// </summary>
/// <remarks>
/// The comparison starts from the hash of the bytes the host was built from (not from whatever the
/// file holds when this service first runs), so a change landing between start-up and the first
/// poll is published rather than mistaken for the start-up content.
/// </remarks>
public sealed partial class RootConfigReloader(RootHostOptions options, LoadedRootConfig startup, RoutingState routing, TimeProvider time, ILogger<RootConfigReloader> logger) : BackgroundService
{
    private byte[] _lastHash = startup.ContentHash;

    /// <summary>The last reload error, if the newest file content was rejected.</summary>
    public string? LastError { get; private set; }

    /// <summary>Checks the file once; true when a new configuration was published.</summary>
    public bool CheckNow()
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(options.ConfigPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LastError = e.Message;
            return false;
        }

        var hash = SHA256.HashData(content);
        if (hash.AsSpan().SequenceEqual(_lastHash))
        {
            return false;
        }

        _lastHash = hash;
        try
        {
            routing.Update(RootConfigLoader.Parse(System.Text.Encoding.UTF8.GetString(content), options.ConfigPath, Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath))));
            LastError = null;
            LogReloaded(options.ConfigPath);
            return true;
        }
        catch (RootConfigException e)
        {
            LastError = e.Message;
            LogRejected(e.Message);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        CheckNow();
        using var timer = new PeriodicTimer(options.ConfigPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                CheckNow();
            }
        }
        catch (OperationCanceledException)
        {
            // Host shutdown.
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Root config reloaded from {Path}")]
    private partial void LogReloaded(string path);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Root config change rejected; the previous routing stays in force: {Error}")]
    private partial void LogRejected(string error);
}
