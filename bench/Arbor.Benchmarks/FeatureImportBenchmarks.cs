using System.Globalization;
using System.Text;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.Testing;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks;

/// <summary>
/// <c>arbor store load</c> into SQLite: 2,000 entities × 100 features (90 floats, 8 int64 lists of 8,
/// 2 float vectors of 32) into an empty store, and an update of 10 features of every entity
/// (a merge into each stored row).
/// </summary>
[MemoryDiagnoser]
public class FeatureImportBenchmarks
{
    private const int Entities = 2000;
    private const int Features = 100;

    private byte[] _full = [];
    private byte[] _update = [];
    private TempDirectory? _directory;
    private IFeatureStore? _store;
    private int _stores;

    [GlobalSetup]
    public void Setup()
    {
        _full = Jsonl(Features);
        _update = Jsonl(10);
        _directory = new TempDirectory();
    }

    [GlobalCleanup]
    public void Cleanup() => _directory?.Dispose();

    [IterationSetup(Target = nameof(ImportNew))]
    public void EmptyStore() => _store = OpenStore(prefill: false);

    [IterationSetup(Target = nameof(UpdateTenFeatures))]
    public void FilledStore() => _store = OpenStore(prefill: true);

    [IterationCleanup]
    public void CloseStore() => _store!.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public long ImportNew() => Import(_full);

    [Benchmark]
    public long UpdateTenFeatures() => Import(_update);

    private long Import(byte[] jsonl) =>
        JsonlFeatureImporter.ImportAsync(_store!, new MemoryStream(jsonl), "bench.jsonl", null, JsonlFeatureImporter.DefaultBatchSize, CancellationToken.None)
            .GetAwaiter().GetResult().Values;

    private IFeatureStore OpenStore(bool prefill)
    {
        var path = _directory!.Combine($"import{_stores++}.db");
        var store = new SqliteFeatureStore(path);
        store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        if (prefill)
        {
            JsonlFeatureImporter.ImportAsync(store, new MemoryStream(_full), "bench.jsonl", null, JsonlFeatureImporter.DefaultBatchSize, CancellationToken.None)
                .GetAwaiter().GetResult();
        }

        return store;
    }

    private static byte[] Jsonl(int features)
    {
        var random = new Random(11);
        var text = new StringBuilder();
        for (var e = 0; e < Entities; e++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"entity\":\"candidate\",\"id\":\"c{e}\",\"features\":{{");
            for (var f = 0; f < features; f++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{(f == 0 ? "" : ",")}\"f{f}\":");
                if (f < 90)
                {
                    text.Append(random.NextSingle().ToString("F4", CultureInfo.InvariantCulture));
                }
                else if (f < 98)
                {
                    text.Append('[').AppendJoin(',', Enumerable.Range(0, 8).Select(_ => random.Next(100_000))).Append(']');
                }
                else
                {
                    text.Append('[').AppendJoin(',', Enumerable.Range(0, 32).Select(_ => random.NextSingle().ToString("F4", CultureInfo.InvariantCulture))).Append(']');
                }
            }

            text.Append("}}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
