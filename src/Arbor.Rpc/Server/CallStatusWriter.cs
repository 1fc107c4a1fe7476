using Arbor.Rpc.Status;
using Arbor.Rpc.Wire;
using Microsoft.AspNetCore.Http;

namespace Arbor.Rpc.Server;

/// <summary>Ends a call with its status: in trailers after a message, or "trailers-only" (in the headers) when no message was sent.</summary>
internal static class CallStatusWriter
{
    private static readonly string[] StatusValues = [.. Enum.GetValues<StatusCode>().Select(code => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture))];

    public static void Write(HttpResponse response, bool messageWritten, StatusCode code, string? message)
    {
        var status = StatusValues[(int)code];
        var encoded = string.IsNullOrEmpty(message) ? null : StatusMessageEncoding.Encode(message);
        if (!messageWritten && !response.HasStarted)
        {
            response.ContentType = GrpcProtocol.ContentType;
            response.Headers[GrpcProtocol.StatusHeader] = status;
            if (encoded is not null)
            {
                response.Headers[GrpcProtocol.MessageHeader] = encoded;
            }

            return;
        }

        response.AppendTrailer(GrpcProtocol.StatusHeader, status);
        if (encoded is not null)
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, encoded);
        }
    }
}
