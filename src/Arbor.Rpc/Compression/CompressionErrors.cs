using Grpc.Core;

namespace Arbor.Rpc.Compression;

/// <summary>The exceptions codecs throw, with the statuses the gRPC spec asks for.</summary>
internal static class CompressionErrors
{
    public static RpcException Corrupt(string encoding, string detail) =>
        new(new Status(StatusCode.Internal, $"Corrupt {encoding} message: {detail}."));

    public static RpcException TooLarge(string encoding, long length, int limit) =>
        new(new Status(StatusCode.ResourceExhausted, $"Decompressed {encoding} message of {length} bytes exceeds the limit of {limit} bytes."));
}
