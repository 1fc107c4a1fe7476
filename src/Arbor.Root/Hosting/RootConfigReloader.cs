using Arbor.Root.Authentication;
using Arbor.Root.Configuration;
using Arbor.Root.Routing;
using Arbor.Watching;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// Re-reads the root config file when its content changes and publishes the new routing and API
/// keys (their <c>env</c> and <c>file</c> secrets read again; key files are watched too, so a
/// rotated key takes effect without a config change): the file is
/// watched by a <see cref="SourceWatcher"/> (file system events, debounced, and a rescan every
/// <c>--config-poll-ms</c>) and compared by <see cref="ContentChangeDetector"/>, so renames, in-place
/// writes and ConfigMap symlink swaps are all seen. A file that fails to parse or validate is logged
/// and the routing in force stays.
/// </summary>
/// <remarks>
/// The comparison starts from the hash of the bytes the host was built from (not from whatever the
/// file holds when this service first runs), so a change landing between start-up and the first
/// poll is published rather than mistaken for the start-up content.
/// </remarks>
public sealed partial class RootConfigReloader(
    RootHostOptions options, LoadedRootConfig startup, RoutingState routing, ApiKeys keys, AdminTokens adminTokens, TimeProvider time, ILogger<RootConfigReloader> logger) : BackgroundService
{
    private readonly ContentChangeDetector _content = new(startup.ContentHash);
    private readonly Lock _gate = new();

    private string? _configError;
    private string? _keyFileError;
    private string? _adminTokenFileError;

    /// <summary>The last reload error, if the newest file content (or an API key file it names) was rejected.</summary>
    public string? LastError => _configError ?? _keyFileError ?? _adminTokenFileError;

    private string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath))!;

    /// <summary>Checks the file once; true when a new configuration was published.</summary>
    public bool CheckNow()
    {
        lock (_gate)
        {
            return Check();
        }
    }

    private bool Check()
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(options.ConfigPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _configError = e.Message;
            return false;
        }

        if (!_content.HasChanged(content))
        {
            return RereadKeyFiles() | RereadAdminTokenFile();
        }

        try
        {
            var baseDirectory = BaseDirectory;
            var config = RootConfigLoader.Parse(System.Text.Encoding.UTF8.GetString(content), options.ConfigPath, baseDirectory);
            // The secrets are read before anything is published: one that cannot be read rejects the whole change.
            var keySet = ApiKeySet.From(config, baseDirectory, options.ConfigPath);
            var adminToken = AdminToken.From(config, baseDirectory, options.ConfigPath);
            routing.Update(config);
            keys.Publish(keySet);
            adminTokens.Publish(adminToken);
            _configError = null;
            _keyFileError = null;
            _adminTokenFileError = null;
            LogReloaded(options.ConfigPath);
            return true;
        }
        catch (RootConfigException e)
        {
            _configError = e.Message;
            LogRejected(e.Message);
            return false;
        }
    }

    /// <summary>
    /// Reads the API key files of the config in force again (a Kubernetes Secret rotated under an
    /// unchanged config); publishes the keys when they changed. A file that cannot be read keeps
    /// the keys in force and is reported once, until it can be read again.
    /// </summary>
    private bool RereadKeyFiles()
    {
        if (keys.Current is not { KeyFiles.Count: > 0 } inForce)
        {
            return false;
        }

        ApiKeySet? reread;
        try
        {
            reread = ApiKeySet.From(routing.Current.Config, BaseDirectory, options.ConfigPath);
        }
        catch (RootConfigException e)
        {
            if (_keyFileError != e.Message)
            {
                _keyFileError = e.Message;
                LogKeyFileRejected(e.Message);
            }

            return false;
        }

        _keyFileError = null;
        if (reread is null || reread.SameKeysAs(inForce))
        {
            return false;
        }

        keys.Publish(reread);
        LogKeysReloaded();
        return true;
    }

    /// <summary>
    /// Reads the admin token file of the config in force again (a rotated Secret under an unchanged
    /// config); publishes the token when it changed. A file that cannot be read keeps the token in
    /// force and is reported once, until it can be read again.
    /// </summary>
    private bool RereadAdminTokenFile()
    {
        if (adminTokens.Current is not { File: not null } inForce)
        {
            return false;
        }

        AdminToken? reread;
        try
        {
            reread = AdminToken.From(routing.Current.Config, BaseDirectory, options.ConfigPath);
        }
        catch (RootConfigException e)
        {
            if (_adminTokenFileError != e.Message)
            {
                _adminTokenFileError = e.Message;
                LogAdminTokenFileRejected(e.Message);
            }

            return false;
        }

        _adminTokenFileError = null;
        if (reread is null || reread.SameAs(inForce))
        {
            return false;
        }

        adminTokens.Publish(reread);
        LogAdminTokenReloaded();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = new SourceWatcher(
            () => [options.ConfigPath, .. keys.Current?.KeyFiles ?? [], .. adminTokens.Current?.File is { } adminTokenFile ? [adminTokenFile] : Array.Empty<string>()],
            () => CheckNow(),
            new WatchOptions { RescanInterval = options.ConfigPollInterval },
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

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Root config reloaded from {Path}")]
    private partial void LogReloaded(string path);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Root config check failed; the routing in force stays")]
    private partial void LogCheckFailed(Exception error);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Cannot watch {Folder} for root config changes (rescans go on): {Error}")]
    private partial void LogWatchFailed(string folder, string error);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "API keys reloaded: a key file changed")]
    private partial void LogKeysReloaded();

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "API key file rejected; the keys in force stay: {Error}")]
    private partial void LogKeyFileRejected(string error);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Admin token reloaded: its file changed")]
    private partial void LogAdminTokenReloaded();

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Admin token file rejected; the token in force stays: {Error}")]
    private partial void LogAdminTokenFileRejected(string error);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Root config change rejected; the previous routing stays in force: {Error}")]
    private partial void LogRejected(string error);
}
