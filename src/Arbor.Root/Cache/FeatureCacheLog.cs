using Microsoft.Extensions.Logging;

namespace Arbor.Root.Cache;

/// <summary>The feature cache's log messages.</summary>
internal static partial class FeatureCacheLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Feature store read of {Count} {Entity} entities failed; serving {Stale} stale, failing {Unserved}.")]
    public static partial void StoreReadFailed(ILogger logger, Exception exception, int count, string entity, int stale, int unserved);
}
