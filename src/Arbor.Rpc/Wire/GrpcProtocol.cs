namespace Arbor.Rpc.Wire;

/// <summary>Names and values of the gRPC-over-HTTP/2 protocol that both ends use.</summary>
public static class GrpcProtocol
{
    /// <summary>The content type of every gRPC request and response.</summary>
    public const string ContentType = "application/grpc";

    /// <summary>The status code header or trailer.</summary>
    public const string StatusHeader = "grpc-status";

    /// <summary>The percent-encoded status message header or trailer.</summary>
    public const string MessageHeader = "grpc-message";

    /// <summary>The per-call deadline, as a relative timeout.</summary>
    public const string TimeoutHeader = "grpc-timeout";

    /// <summary>The encoding of compressed messages in this direction.</summary>
    public const string EncodingHeader = "grpc-encoding";

    /// <summary>The encodings the sender is able to decompress.</summary>
    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    /// <summary>The identity (uncompressed) encoding.</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>The size of a message prefix: one compressed-flag byte and a 4-byte big-endian length.</summary>
    public const int FrameHeaderSize = 5;

    /// <summary>The default limit for a message in either direction: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;
}
