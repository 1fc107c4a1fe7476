using System.Buffers;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Arbor.Benchmarks.Rpc;

/// <summary>Uncompressed size / compressed size of the codec benchmark's payload.</summary>
public sealed class CompressionRatioColumn : IColumn
{
    public string Id => nameof(CompressionRatioColumn);

    public string ColumnName => "Ratio(size)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Uncompressed bytes / compressed bytes of the payload";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var encoding = (string)benchmarkCase.Parameters["Encoding"];
        var payload = Payload(benchmarkCase);
        var output = new ArrayBufferWriter<byte>(payload.Length * 2);
        var compressed = CodecBenchmarks.Codec(encoding).Compress(payload, output);
        return ((double)payload.Length / compressed).ToString("0.000", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    private static byte[] Payload(BenchmarkCase benchmarkCase) => CodecBenchmarks.Payload((bool)benchmarkCase.Parameters["Embeddings"]);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
