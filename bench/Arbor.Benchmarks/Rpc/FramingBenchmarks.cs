using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Rpc.Wire;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace Arbor.Benchmarks.Rpc;

/// <summary>
/// gRPC message framing of a realistic leaf request of 2 KB and 256 KB: framing a message object,
/// framing pre-encoded bytes (the root's path), and parsing a frame back into a message.
/// </summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private LeafScoreRequest _request = null!;
    private IRpcPayload _preEncoded = null!;
    private ReadOnlySequence<byte> _payload;
    private PooledBufferWriter _frame = null!;

    [Params(2 * 1024, 256 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _request = FeaturePayload.OfSize(Size);
        var bytes = _request.ToByteArray();
        _preEncoded = RpcPayload.FromBytes(bytes);
        _payload = new ReadOnlySequence<byte>(bytes);
        _frame = new PooledBufferWriter(bytes.Length + 64);
    }

    [GlobalCleanup]
    public void Cleanup() => _frame.Dispose();

    [Benchmark]
    public int FrameMessage()
    {
        _frame.Reset();
        MessageEncoder.Encode(_request, _frame, codec: null, compressionThreshold: 0, GrpcProtocol.DefaultMaxMessageSize);
        return _frame.WrittenCount;
    }

    [Benchmark]
    public int FramePreEncodedBytes()
    {
        _frame.Reset();
        MessageEncoder.Encode(_preEncoded, _frame, codec: null, compressionThreshold: 0, GrpcProtocol.DefaultMaxMessageSize);
        return _frame.WrittenCount;
    }

    [Benchmark]
    public uint ParseFrame() =>
        MessageDecoder.Decode(_payload, compressed: false, codec: null, GrpcProtocol.DefaultMaxMessageSize, LeafScoreRequest.Parser).RowCount;
}
