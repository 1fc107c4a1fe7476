using Arbor.Rpc.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Arbor.Rpc.Server;

/// <summary>The checks every gRPC request passes before its method runs.</summary>
internal static class ServerProtocol
{
    /// <summary>
    /// True for an HTTP/2 request with a gRPC content type; otherwise answers with the HTTP status
    /// the gRPC spec asks for (426 for HTTP/1, 415 for another content type) and returns false.
    /// </summary>
    public static bool TryAccept(HttpContext http)
    {
        if (!HttpProtocol.IsHttp2(http.Request.Protocol) && !HttpProtocol.IsHttp3(http.Request.Protocol))
        {
            http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            http.Response.Headers.Connection = "Upgrade";
            http.Response.Headers.Upgrade = "h2c";
            return false;
        }

        if (!IsGrpcContentType(http.Request.ContentType))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return false;
        }

        // The RPC layer enforces its own message size limit; Kestrel's 30 MB body limit must not cut in first.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        return true;
    }

    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null &&
        contentType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase) &&
        (contentType.Length == GrpcProtocol.ContentType.Length || contentType[GrpcProtocol.ContentType.Length] is '+' or ';');
}
