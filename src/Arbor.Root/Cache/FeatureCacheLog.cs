using Microsoft.Extensions.Logging;

namespace Arbor.Root.Cache;

/// <summary>The feature cache's log messages.</summary>
internal static partial class FeatureCacheLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Feature store read of {Count} {Entity} entities failed; serving {Stale} stale, failing {Unserved}.")]
    public static partial void StoreReadFailed(ILogger logger, Exception exception, int count, string entity, int stale, int unserved);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Feature store read of {Count} {Entity} entities took longer than the refresh wait ({RefreshWaitMs} ms); serving {Stale} stale.")]
    public static partial void StoreReadSlow(ILogger logger, int count, string entity, double refreshWaitMs, int stale);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Feature store read of {Count} {Entity} entities cancelled after {ElapsedMs} ms: every request waiting for it gave up.")]
    public static partial void StoreReadAbandoned(ILogger logger, int count, string entity, double elapsedMs);
}
