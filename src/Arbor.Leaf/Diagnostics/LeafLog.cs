using Microsoft.Extensions.Logging;

namespace Arbor.Leaf.Diagnostics;

/// <summary>The leaf's log messages, with stable event ids.</summary>
internal static partial class LeafLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Loading {Model} version {Version} from {Path} on {Device}")]
    public static partial void Loading(ILogger logger, string model, string version, string path, string device);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "{Model} version {Version} is available (loaded and warmed up in {Milliseconds:F0} ms, signature {Sha256})")]
    public static partial void Available(ILogger logger, string model, string version, double milliseconds, string sha256);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "{Model} version {Version} failed to load; the serving versions are unchanged: {Error}")]
    public static partial void LoadFailed(ILogger logger, string model, string version, string error);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "{Model} version {Version} is unloading (waits for in-flight requests)")]
    public static partial void Unloading(ILogger logger, string model, string version);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "{Model} version {Version} is unloaded")]
    public static partial void Unloaded(ILogger logger, string model, string version);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "{Model}: no wanted version is available, keeping {Serving} in service")]
    public static partial void KeepingServing(ILogger logger, string model, string serving);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "Scanning the model repository failed; will retry at the next poll")]
    public static partial void ReconcileFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Information, Message = "Partition {Partition} serves {Models} (default versions {Defaults})")]
    public static partial void Published(ILogger logger, string partition, int models, string defaults);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Score {Model} version {Version} failed with {Status} ({HeldBack} more failures of this model held back at Debug level since the last line): {Message}")]
    public static partial void ScoreFailed(ILogger logger, string model, string version, string status, long heldBack, string message);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Debug, Message = "Score {Model} version {Version} failed with {Status}: {Message}")]
    public static partial void ScoreFailedHeldBack(ILogger logger, string model, string version, string status, string message);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Error, Message = "Unloading {Model} version {Version} failed")]
    public static partial void UnloadFailed(ILogger logger, string model, string version, Exception error);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Cannot watch {Folder} for model repository changes (polling goes on): {Error}")]
    public static partial void WatchFailed(ILogger logger, string folder, string error);
}
