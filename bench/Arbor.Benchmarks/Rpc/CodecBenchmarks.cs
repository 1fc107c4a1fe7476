using System.Buffers;
using Arbor.Rpc.Compression;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace Arbor.Benchmarks.Rpc;

/// <summary>
/// Each message codec on a realistic feature payload of 150 rows (dense floats, int64 ids, id
/// lists, and with or without the 64-d full-precision embedding that dominates the bytes): time,
/// MB/s of uncompressed bytes, and compression ratio (uncompressed/compressed).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CodecBenchmarkConfig))]
public class CodecBenchmarks
{
    private byte[] _payload = null!;
    private byte[] _compressed = null!;
    private ICompressionCodec _codec = null!;
    private ArrayBufferWriter<byte> _output = null!;

    [Params("gzip", "lz4", "zstd")]
    public string Encoding { get; set; } = "gzip";

    [Params(true, false)]
    public bool Embeddings { get; set; } = true;

    /// <summary>The payload a run compresses (shared with the custom columns).</summary>
    public static byte[] Payload(bool embeddings)
    {
        var request = FeaturePayload.Create(rows: 150);
        if (!embeddings)
        {
            request.Columns.Remove(request.Columns.Single(c => c.Name == "pin_embedding_v3"));
        }

        return request.ToByteArray();
    }

    [GlobalSetup]
    public void Setup()
    {
        _payload = Payload(Embeddings);
        _codec = Codec(Encoding);
        _output = new ArrayBufferWriter<byte>(_payload.Length * 2);
        _codec.Compress(_payload, _output);
        _compressed = _output.WrittenMemory.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _output.Clear();

    [Benchmark]
    public int Compress()
    {
        _output.ResetWrittenCount();
        return _codec.Compress(_payload, _output);
    }

    [Benchmark]
    public int Decompress()
    {
        _output.ResetWrittenCount();
        return _codec.Decompress(_compressed, _output, int.MaxValue);
    }

    /// <summary>The codec of an encoding name.</summary>
    public static ICompressionCodec Codec(string encoding) =>
        CompressionRegistry.Default.TryGet(encoding, out var codec) ? codec : throw new InvalidOperationException($"No codec {encoding}.");
}
