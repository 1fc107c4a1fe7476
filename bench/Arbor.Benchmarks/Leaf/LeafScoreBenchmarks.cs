using Arbor.Contracts.V1;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Native;
using Arbor.Signatures.Signatures;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;

namespace Arbor.Benchmarks.Leaf;

/// <summary>
/// Where a leaf's time goes per request, for each sample model and batch size: decoding the
/// protobuf request plus converting its columns to tensors, versus the libtorch forward.
/// Divide by <see cref="Rows"/> for the per-candidate cost.
/// </summary>
[MemoryDiagnoser]
public class LeafScoreBenchmarks
{
    private TorchModel _model = null!;
    private FeatureConverter _converter = null!;
    private byte[] _requestBytes = null!;
    private ConvertedBatch _batch = null!;
    private float[] _scores = null!;

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "";

    [Params(1, 64, 512)]
    public int Rows { get; set; }

    public static IEnumerable<string> Models => LeafBenchmarkData.SampleModels;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Configure(new TorchThreading());
        _model = TorchModel.Load(LeafBenchmarkData.Archive(Model));
        var signature = ModuleInfoParser.Parse(_model.SignatureJson);
        _converter = new FeatureConverter(signature);
        _requestBytes = LeafBenchmarkData.Request(Model, signature, Rows).ToByteArray();
        _batch = _converter.Convert(LeafScoreRequest.Parser.ParseFrom(_requestBytes));
        _scores = new float[Rows * signature.Outputs.Count];
        for (var i = 0; i < 10; i++)
        {
            _model.Forward(_batch.Arguments, _scores);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _model.Dispose();
    }

    [Benchmark(Description = "decode+convert")]
    public int DecodeAndConvert()
    {
        var request = LeafScoreRequest.Parser.ParseFrom(_requestBytes);
        using var batch = _converter.Convert(request);
        return batch.RowCount;
    }

    [Benchmark(Description = "forward")]
    public int Forward() => _model.Forward(_batch.Arguments, _scores).Rows;
}
