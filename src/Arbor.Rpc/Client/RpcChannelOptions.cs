using System.Net.Security;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Compression;

namespace Arbor.Rpc.Client;

/// <summary>Settings of an <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelOptions
{
    /// <summary>Largest response message accepted (also after decompression); larger → RESOURCE_EXHAUSTED. Default 16 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = CompressionRegistry.DefaultMaxMessageSize;

    /// <summary>Largest request message sent; larger → RESOURCE_EXHAUSTED before anything is sent. Default 16 MiB.</summary>
    public int MaxSendMessageSize { get; set; } = CompressionRegistry.DefaultMaxMessageSize;

    /// <summary>The encodings the client can use and accepts in responses.</summary>
    public CompressionRegistry Compression { get; set; } = CompressionRegistry.Default;

    /// <summary>Requests smaller than this many bytes go uncompressed (per call: <see cref="RpcCallOptions.CompressionThreshold"/>). Default 1 KiB.</summary>
    public int CompressionThreshold { get; set; } = 1024;

    /// <summary>
    /// The share of its bytes (0 to 1) compression must save to be used (per call:
    /// <see cref="RpcCallOptions.MinCompressionSaving"/>). Default 0: compress whenever asked.
    /// </summary>
    public double MinCompressionSaving { get; set; }

    /// <summary>The counters of this channel's connections; default: the published counters of the target (host:port).</summary>
    public ByteCounters? ByteCounters { get; set; }

    /// <summary>TLS settings for <c>https</c> addresses (e.g. a certificate validation callback).</summary>
    public SslClientAuthenticationOptions? SslOptions { get; set; }

    /// <summary>
    /// HTTP/2 connections to the target that calls take in turn (1 to <see cref="MaxConnections"/>).
    /// Every call of one connection shares its byte stream and the loops that write and read it at
    /// each end; large concurrent requests on several connections are decoded by the peer in
    /// parallel. Default 1.
    /// </summary>
    public int Connections { get; set; } = 1;

    /// <summary>The most connections a channel opens to its target.</summary>
    public const int MaxConnections = 16;

    /// <summary>Time allowed to establish a connection. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Idle time after which the channel sends an HTTP/2 PING on each connection (also while no call
    /// is active), so that a peer or path that died silently is noticed before the next call waits
    /// on it. Default 20 s; <see cref="Timeout.InfiniteTimeSpan"/> turns pings off.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a PING may go unanswered before the connection is closed. Default 10 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
