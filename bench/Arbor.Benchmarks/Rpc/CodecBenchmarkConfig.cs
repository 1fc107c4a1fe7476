using BenchmarkDotNet.Configs;

namespace Arbor.Benchmarks.Rpc;

/// <summary>Adds the compression ratio and throughput columns to the codec benchmarks.</summary>
public sealed class CodecBenchmarkConfig : ManualConfig
{
    public CodecBenchmarkConfig()
    {
        AddColumn(new CompressionRatioColumn(), new ThroughputColumn());
    }
}
