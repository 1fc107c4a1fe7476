using System.Buffers;
using System.IO.Compression;
using Arbor.Rpc.Compression;
using BenchmarkDotNet.Attributes;
using Grpc.Net.Compression;

namespace Arbor.Benchmarks;

/// <summary>
/// A leaf request of a trimmed call's size compressed as grpc-dotnet compresses it: one write of the
/// whole message into the provider's stream over a fresh <see cref="MemoryStream"/>, then the
/// stream's bytes. Beside it the codec alone into a reused buffer: the compression itself, with no
/// copies around it. The message is floats in [0, 1) with 16 bits of precision and id lists of small
/// varints, in 4 KiB runs.
/// </summary>
[MemoryDiagnoser]
public class CompressionStreamBenchmarks
{
    private readonly ArrayBufferWriter<byte> _reused = new(1 << 20);
    private byte[] _message = [];
    private ICompressionCodec _codec = null!;
    private ICompressionProvider _provider = null!;

    [Params("lz4", "zstd")]
    public string Encoding { get; set; } = "lz4";

    [Params(190_000)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261205);
        _message = new byte[Bytes];
        for (var at = 0; at < _message.Length; at += 4)
        {
            if ((at / 4096) % 6 == 5)
            {
                _message[at] = (byte)random.Next(128);
                _message[at + 1] = (byte)random.Next(8);
            }
            else if (at + 4 <= _message.Length)
            {
                BitConverter.TryWriteBytes(_message.AsSpan(at), (float)(random.Next(1 << 16) / 65536.0));
            }
        }

        if (!CompressionRegistry.Default.TryGet(Encoding, out var codec))
        {
            throw new InvalidOperationException($"{Encoding} is not available on this machine.");
        }

        _codec = codec;
        _provider = CompressionRegistry.Default.Providers(CompressionRegistry.DefaultMaxMessageSize).Single(p => p.EncodingName == Encoding);
    }

    /// <summary>The codec alone into a reused buffer.</summary>
    [Benchmark(Baseline = true)]
    public int CodecAlone()
    {
        _reused.ResetWrittenCount();
        return _codec.Compress(_message, _reused);
    }

    /// <summary>What grpc-dotnet does for a compressed call's message.</summary>
    [Benchmark]
    public int ThroughProvider()
    {
        var output = new MemoryStream();
        using (var stream = _provider.CreateCompressionStream(output, CompressionLevel.Fastest))
        {
            stream.Write(_message);
        }

        return output.GetBuffer().AsSpan(0, (int)output.Length)[^1];
    }
}
