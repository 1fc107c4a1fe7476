using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// gRPC at the HTTP/2 level, without a gRPC client in between: exact request headers and frames
/// in, response headers, frames and trailers out. For what a gRPC client hides (the response's
/// <c>grpc-encoding</c>, the compressed flag of each frame) or will not send (a raw <c>grpc-timeout</c>).
/// </summary>
public static class RawGrpc
{
    /// <summary>One gRPC frame: the compressed flag, the big-endian length, the message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message, bool compressed)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), message.Length);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>Sends one unary call over h2c and reads the whole response.</summary>
    public static async Task<RawResponse> CallAsync(Uri server, string path, byte[] body, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var frames = new List<(bool Compressed, byte[] Message)>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset + 1, 4));
            frames.Add((bytes[offset] == 1, bytes.AsSpan(offset + 5, length).ToArray()));
            offset += 5 + length;
        }

        // A trailers-only response carries the status in its headers.
        var status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
        var message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
        return new RawResponse(
            (int)response.StatusCode,
            Header(response.Headers, "grpc-encoding"),
            Header(response.Headers, "grpc-accept-encoding"),
            status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message is null ? null : Uri.UnescapeDataString(message),
            frames);
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;
}

/// <summary>A response as it came: HTTP status, encoding headers, gRPC status, frames.</summary>
public sealed record RawResponse(int HttpStatus, string? Encoding, string? AcceptEncoding, int? GrpcStatus, string? GrpcMessage, IReadOnlyList<(bool Compressed, byte[] Message)> Frames);
