using System.Buffers;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Tests.Fixtures;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Compression;

public sealed class CodecTests
{
    public static TheoryData<string> Encodings => ["gzip", "lz4", "zstd"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public void CompressThenDecompress_AnyBytes_RoundTrips(string encoding)
    {
        var codec = Codec(encoding);
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), data =>
        {
            var compressed = new ArrayBufferWriter<byte>();
            codec.Compress(data, compressed);
            var restored = new ArrayBufferWriter<byte>();
            var length = codec.Decompress(compressed.WrittenMemory.ToArray(), restored, data.Length);
            return length == data.Length && restored.WrittenSpan.SequenceEqual(data);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Compress_FeaturePayload_ShrinksAndRoundTrips(string encoding)
    {
        // No ratio threshold: how much a codec saves on this payload differs between library
        // versions (zstd level 1 keeps about 0.9 of it); only that it saves something is the codec's contract.
        var payload = Payloads.LeafRequest(rows: 200).ToByteArray();
        var compressed = new ArrayBufferWriter<byte>();

        var length = Codec(encoding).Compress(payload, compressed);

        Assert.Equal(compressed.WrittenCount, length);
        Assert.True(length < payload.Length, $"{encoding}: {length} of {payload.Length}");
        var restored = new ArrayBufferWriter<byte>();
        Assert.Equal(payload.Length, Codec(encoding).Decompress(compressed.WrittenMemory.ToArray(), restored, payload.Length));
        Assert.Equal(payload, restored.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Decompress_Garbage_InternalNotACrash(string encoding)
    {
        var codec = Codec(encoding);
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            var output = new ArrayBufferWriter<byte>();
            try
            {
                codec.Decompress(garbage, output, 1 << 20);
            }
            catch (RpcException e)
            {
                Assert.True(e.StatusCode is StatusCode.Internal or StatusCode.ResourceExhausted, e.ToString());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Decompress_TruncatedPayload_Internal(string encoding)
    {
        var codec = Codec(encoding);
        var payload = Payloads.LeafRequest(rows: 50).ToByteArray();
        var compressed = new ArrayBufferWriter<byte>();
        codec.Compress(payload, compressed);
        var truncated = compressed.WrittenMemory[..(compressed.WrittenCount / 2)].ToArray();
        var output = new ArrayBufferWriter<byte>();

        RpcException? error = null;
        var length = -1;
        try
        {
            length = codec.Decompress(truncated, output, 1 << 20);
        }
        catch (RpcException e)
        {
            error = e;
        }

        if (error is null)
        {
            // gzip may stop quietly at the cut; then what came out must at least be short.
            Assert.True(length < payload.Length);
        }
        else
        {
            Assert.Equal(StatusCode.Internal, error.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Decompress_LargerThanTheLimit_ResourceExhausted(string encoding)
    {
        var codec = Codec(encoding);
        var compressed = new ArrayBufferWriter<byte>();
        codec.Compress(new byte[100_000], compressed);
        var output = new ArrayBufferWriter<byte>();

        var error = Assert.Throws<RpcException>(() => codec.Decompress(compressed.WrittenMemory.ToArray(), output, 50_000));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void Lz4_Format_IsLittleEndianLengthThenRawBlock()
    {
        var data = new byte[1000];
        var compressed = new ArrayBufferWriter<byte>();
        new Lz4Codec().Compress(data, compressed);

        Assert.Equal(1000, BitConverter.ToInt32(compressed.WrittenSpan[..4]));
    }

    [Fact]
    public void Default_AdvertisesIdentityAndEveryCodec()
    {
        Assert.Equal("identity,gzip,lz4,zstd", CompressionRegistry.Default.AcceptEncoding);
        Assert.True(CompressionRegistry.Default.Supports("identity"));
        Assert.False(CompressionRegistry.Default.Supports("snappy"));
    }

    [Fact]
    public void Registry_SameNameTwice_Rejected()
    {
        Assert.Throws<ArgumentException>(() => new CompressionRegistry([new GzipCodec(), new GzipCodec()]));
    }

    private static ICompressionCodec Codec(string encoding) =>
        CompressionRegistry.Default.TryGet(encoding, out var codec) ? codec : throw new InvalidOperationException(encoding);
}
