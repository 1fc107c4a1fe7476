using Microsoft.Extensions.Logging;

namespace Arbor.Root.Cache.Shared;

/// <summary>The shared cache tier's log messages.</summary>
internal static partial class SharedTierLog
{
    [LoggerMessage(EventId = 6111, Level = LogLevel.Warning, Message = "Shared cache tier {Operation} failed ({Reason}); reading the feature store without it for {BackoffMs} ms.")]
    public static partial void Failed(ILogger logger, string operation, string reason, double backoffMs);
}
