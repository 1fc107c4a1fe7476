using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Arbor.Benchmarks.Rpc;

/// <summary>Uncompressed megabytes (10^6 bytes) processed per second, from the mean time.</summary>
public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Uncompressed payload MB (10^6 bytes) per second";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } statistics)
        {
            return "NA";
        }

        var seconds = statistics.Mean / 1e9;
        return (Payload(benchmarkCase).Length / 1e6 / seconds).ToString("0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    private static byte[] Payload(BenchmarkCase benchmarkCase) => CodecBenchmarks.Payload((bool)benchmarkCase.Parameters["Embeddings"]);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
