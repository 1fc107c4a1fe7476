using System.Net.Security;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Wire;

namespace Arbor.Rpc.Client;

/// <summary>Settings of an <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelOptions
{
    /// <summary>Largest response message accepted (after decompression); larger → RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Largest request message sent; larger → RESOURCE_EXHAUSTED before anything is sent. Default 16 MiB.</summary>
    public int MaxSendMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>The encodings the client can use and accepts in responses.</summary>
    public CompressionRegistry Compression { get; set; } = CompressionRegistry.Default;

    /// <summary>Requests smaller than this many bytes go uncompressed (per call: <see cref="RpcCallOptions.CompressionThreshold"/>). Default 1 KiB.</summary>
    public int CompressionThreshold { get; set; } = 1024;

    /// <summary>The counters of this channel's connections; default: the published counters of the target (host:port).</summary>
    public ByteCounters? ByteCounters { get; set; }

    /// <summary>TLS settings for <c>https</c> addresses (e.g. a certificate validation callback).</summary>
    public SslClientAuthenticationOptions? SslOptions { get; set; }

    /// <summary>Time allowed to establish a connection. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of deadlines.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
