using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Diagnostics;

/// <summary>The RPC layer's log messages (event ids 2000–2099).</summary>
internal static partial class RpcLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Error, Message = "Handler of {Method} failed; the caller gets INTERNAL")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Call {Method} ended with {Status}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, Arbor.Rpc.Status.StatusCode status, string detail);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Call to unknown method {Path}")]
    public static partial void UnknownMethod(ILogger logger, string path);
}
