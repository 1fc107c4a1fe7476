using System.Buffers;
using System.IO.Compression;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Compression;

/// <summary>
/// The compression stream grpc-dotnet writes a message through gives the codec's bytes for that
/// message, whatever the destination and however the message is split into writes, after anything
/// the destination already held; and the channel's yield sees each message's two sizes once.
/// </summary>
public sealed class CompressionStreamTests
{
    public static TheoryData<string> Encodings => ["gzip", "lz4", "zstd"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public void OneWrite_IntoAFreshMemoryStream_IsTheCodecsBytes(string encoding)
    {
        var codec = Codec(encoding);
        var message = Payloads.LeafRequest(rows: 200).ToByteArray();
        var yield = new CompressionYield();
        var output = new MemoryStream();

        using (var stream = new CodecCompressionProvider(codec, message.Length, yield).CreateCompressionStream(output, CompressionLevel.Fastest))
        {
            stream.Write(message);
        }

        var expected = new ArrayBufferWriter<byte>();
        codec.Compress(message, expected);
        Assert.Equal(expected.WrittenSpan.ToArray(), output.ToArray());
        Assert.Equal((double)expected.WrittenCount / message.Length, yield.Ratio, 12);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void RandomWrites_AnyDestination_DecompressToTheMessage(string encoding)
    {
        var codec = Codec(encoding);
        var random = new Random(20261205);
        for (var round = 0; round < 60; round++)
        {
            var message = new byte[random.Next(0, 20_000)];
            // Half random bytes, half runs: compressible and not.
            for (var i = 0; i < message.Length; i++)
            {
                message[i] = i % 2 == 0 ? (byte)random.Next(256) : (byte)(i / 64);
            }

            var prefix = new byte[random.Next(0, 3) * 17];
            random.NextBytes(prefix);
            var (output, read) = Destination(random.Next(4), prefix);
            var yield = new CompressionYield();
            using (var stream = new CodecCompressionProvider(codec, message.Length, yield).CreateCompressionStream(output, CompressionLevel.Fastest))
            {
                var at = 0;
                var writes = random.Next(0, 4);
                for (var w = 0; w < writes && at < message.Length; w++)
                {
                    var length = random.Next(0, message.Length - at + 1);
                    stream.Write(message.AsSpan(at, length));
                    at += length;
                }

                stream.Write(message.AsSpan(at));
            }

            var written = read();
            Assert.Equal(prefix, written[..prefix.Length]);
            var restored = new ArrayBufferWriter<byte>();
            Assert.Equal(message.Length, codec.Decompress(written[prefix.Length..], restored, message.Length));
            Assert.Equal(message, restored.WrittenSpan.ToArray());
            Assert.False(double.IsNaN(yield.Ratio));
        }
    }

    [Fact]
    public void AWriteThatFails_LeavesTheDestinationAsItWas()
    {
        var output = new MemoryStream();
        output.Write([1, 2, 3]);
        var yield = new CompressionYield();
        var stream = new CodecCompressionProvider(new FailingCodec(), 1 << 20, yield).CreateCompressionStream(output, CompressionLevel.Fastest);

        Assert.Throws<InvalidDataException>(() => stream.Write(new byte[100]));
        Assert.Throws<InvalidOperationException>(() => stream.Write(new byte[10]));
        stream.Dispose();

        Assert.Equal([1, 2, 3], output.ToArray());
        Assert.True(double.IsNaN(yield.Ratio));
    }

    /// <summary>
    /// A destination holding <paramref name="prefix"/>: a fresh growable memory stream, one with
    /// spare capacity, one whose buffer is not exposed, or a stream that is not a memory stream.
    /// </summary>
    private static (Stream Output, Func<byte[]> Read) Destination(int kind, byte[] prefix)
    {
        Stream output = kind switch
        {
            0 => new MemoryStream(),
            1 => new MemoryStream(1 << 16),
            2 => new MemoryStream(new byte[1 << 16], 0, 1 << 16, writable: true, publiclyVisible: false),
            _ => new BufferedStream(new MemoryStream()),
        };

        if (kind == 2)
        {
            output.SetLength(0);
        }

        output.Write(prefix);
        return (output, Read);

        byte[] Read()
        {
            output.Flush();
            return output is BufferedStream buffered ? ((MemoryStream)buffered.UnderlyingStream).ToArray() : ((MemoryStream)output).ToArray();
        }
    }

    /// <summary>A codec whose compression always fails, as a codec refusing an input would.</summary>
    private sealed class FailingCodec : ICompressionCodec
    {
        public string EncodingName => "failing";

        public int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
        {
            destination.GetSpan(source.Length)[0] = 7;
            destination.Advance(1);
            throw new InvalidDataException("refused");
        }

        public int Decompress(ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, int maxDecompressedLength) =>
            throw new NotSupportedException();
    }

    private static ICompressionCodec Codec(string encoding) =>
        CompressionRegistry.Default.TryGet(encoding, out var codec) ? codec : throw new InvalidOperationException(encoding);
}
