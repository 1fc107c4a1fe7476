using System.Buffers;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Compression;

namespace Arbor.Rpc.Tests.Fixtures;

public static class Codecs
{
    public static TheoryData<string> Encodings => ["gzip", "lz4", "zstd"];

    public static ICompressionCodec Get(string encoding) =>
        CompressionRegistry.Default.TryGet(encoding, out var codec) ? codec : throw new InvalidOperationException($"No codec {encoding} on this machine.");

    public static byte[] Compress(string encoding, ReadOnlySpan<byte> data)
    {
        var output = new ArrayBufferWriter<byte>();
        Get(encoding).Compress(data, output);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Decompress(string encoding, byte[] data)
    {
        var output = new ArrayBufferWriter<byte>();
        Get(encoding).Decompress(data, output, CompressionRegistry.DefaultMaxMessageSize);
        return output.WrittenSpan.ToArray();
    }
}

/// <summary>Waits until the bytes in flight between a client's and a server's counters have all arrived.</summary>
public static class Traffic
{
    public static async Task<(ByteCountSnapshot Client, ByteCountSnapshot Server)> SettledAsync(ByteCounters client, ByteCounters server)
    {
        await Wait.UntilAsync(
            () =>
            {
                var c = client.Snapshot();
                var s = server.Snapshot();
                return c.BytesSent == s.BytesReceived && c.BytesReceived == s.BytesSent;
            },
            "what each side sent has reached the other");
        return (client.Snapshot(), server.Snapshot());
    }
}
