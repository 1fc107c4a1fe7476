using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.Features.Wire;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Batching;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks;

/// <summary>
/// Building a request's candidate columns from cached rows, 300 candidates of about the reference
/// shape (60 floats, 12 int64s, 10 float vectors of 16–64 values, 6 int64 lists of 0–40 ids below
/// 50,000; a tenth of the values missing, rows' slots in their own order): every column one at a
/// time (<see cref="ColumnBuilder"/>), the scalars row by row and vectors and lists one at a time,
/// and every kind row by row (<see cref="RowColumns"/>), with and without the rows' floats packed;
/// and every kind row by row then encoded (<see cref="FeatureBatchEncoder"/>), a request's whole
/// cost of its candidate columns before the leaf requests are cut from them.
/// </summary>
[MemoryDiagnoser]
public class CandidateColumnsBenchmarks
{
    private const int Rows = 300;

    private FeatureFrame _all = null!;
    private FeatureFrame[] _coldFrames = null!;
    private int _nextCold;
    private FeatureFrame _scalars = null!;
    private int[] _vectorColumns = null!;

    /// <summary>
    /// Cold: each call reads 300 other rows of 19,200 (64 frames in turn), as a root reads candidates
    /// spread over a cache far larger than the processor's caches; warm: the same 300 rows every call.
    /// </summary>
    [Params(false, true)]
    public bool Cold { get; set; }

    /// <summary>Whether the rows come with their floats packed (<see cref="FloatRow"/>), as the root's cache gives them.</summary>
    [Params(false, true)]
    public bool PackedFloats { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261204);
        var definitions = new List<FeatureDefinition>();
        definitions.AddRange(Enumerable.Range(0, 60).Select(i => new FeatureDefinition($"f_{i}", FeatureType.Float, FeatureEntity.Candidate)));
        definitions.AddRange(Enumerable.Range(0, 12).Select(i => new FeatureDefinition($"i_{i}", FeatureType.Int64, FeatureEntity.Candidate)));
        definitions.AddRange(Enumerable.Range(0, 10).Select(i => new FeatureDefinition($"v_{i}", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 16 << (i % 3))));
        definitions.AddRange(Enumerable.Range(0, 6).Select(i => new FeatureDefinition($"l_{i}", FeatureType.Int64List, FeatureEntity.Candidate)));
        var preprocessor = new FeaturePreprocessor(new FeatureRegistry(FeatureRegistry.SchemaV1, definitions));
        var names = definitions.Select(d => d.Name).OrderBy(_ => random.Next()).ToArray();
        var slots = Enumerable.Range(0, names.Length).OrderBy(_ => random.Next()).ToArray();
        var population = new TypedValue[]?[Cold ? 64 * Rows : Rows];
        for (var row = 0; row < population.Length; row++)
        {
            var values = population[row] = new TypedValue[names.Length];
            for (var c = 0; c < names.Length; c++)
            {
                if (random.Next(10) == 0)
                {
                    continue;
                }

                var definition = definitions.First(d => d.Name == names[c]);
                values[slots[c]] = definition.Type switch
                {
                    FeatureType.Float => TypedValue.FromFloat(random.NextSingle()),
                    FeatureType.Int64 => TypedValue.FromInt64(random.NextInt64()),
                    FeatureType.FloatVector => TypedValue.FromFloatVector([.. Enumerable.Range(0, definition.Dim!.Value).Select(_ => random.NextSingle())]),
                    _ => TypedValue.FromInt64List([.. Enumerable.Range(0, random.Next(41)).Select(_ => (long)random.Next(50_000))]),
                };
            }
        }

        var packed = population.Select(r => PackedFloats && r is not null ? FloatRow.Pack(r) : null).ToArray();
        var ids = Enumerable.Range(0, Rows).Select(r => $"c{r}").ToArray();
        var order = Enumerable.Range(0, population.Length).OrderBy(_ => random.Next()).ToArray();
        _coldFrames = [.. Enumerable.Range(0, population.Length / Rows).Select(f => new FeatureFrame(
            [.. names.Select(n => PlannedColumn.Of(n, preprocessor))],
            Rows,
            new FeatureTable(ids, names, [.. order.Skip(f * Rows).Take(Rows).Select(r => population[r])], slots, pooledRows: false, [.. order.Skip(f * Rows).Take(Rows).Select(r => packed[r])]),
            new ClientColumn?[names.Length]))];
        var rows = population[..Rows];
        _all = new FeatureFrame([.. names.Select(n => PlannedColumn.Of(n, preprocessor))], Rows, new FeatureTable(ids, names, rows, slots, pooledRows: false, packed[..Rows]), new ClientColumn?[names.Length]);

        // The same rows seen through their scalar columns only, and the other columns' indexes.
        var scalar = Enumerable.Range(0, names.Length).Where(c => names[c][0] is 'f' or 'i').ToArray();
        _scalars = new FeatureFrame(
            [.. scalar.Select(c => PlannedColumn.Of(names[c], preprocessor))],
            Rows,
            new FeatureTable(ids, [.. scalar.Select(c => names[c])], rows, [.. scalar.Select(c => slots[c])]),
            new ClientColumn?[scalar.Length]);
        _vectorColumns = [.. Enumerable.Range(0, names.Length).Where(c => names[c][0] is 'v' or 'l')];
    }

    [Benchmark(Baseline = true)]
    public int OneAtATime()
    {
        using var batch = new FeatureBatch(Rows);
        for (var c = 0; c < _all.Names.Count; c++)
        {
            if (ColumnBuilder.Build(batch, _all.Names[c], new FrameColumn(_all, c), _all.Planned(c).OutputKind) is { } column)
            {
                batch.Add(column);
            }
        }

        return batch.Columns.Count;
    }

    [Benchmark]
    public int ScalarsRowByRow_VectorsAndListsOneAtATime()
    {
        using var batch = new FeatureBatch(Rows);
        var built = new BatchColumn?[_scalars.Names.Count];
        var isBuilt = new bool[_scalars.Names.Count];
        RowColumns.TryBuild(batch, _scalars, built, isBuilt);
        foreach (var column in built)
        {
            batch.Add(column!);
        }

        foreach (var c in _vectorColumns)
        {
            if (ColumnBuilder.Build(batch, _all.Names[c], new FrameColumn(_all, c), _all.Planned(c).OutputKind) is { } column)
            {
                batch.Add(column);
            }
        }

        return batch.Columns.Count;
    }

    [Benchmark]
    public int AllRowByRow()
    {
        using var batch = BuildAllRowByRow();
        return batch.Columns.Count;
    }

    [Benchmark]
    public int AllRowByRow_ThenEncoded()
    {
        using var batch = BuildAllRowByRow();
        using var encoded = FeatureBatchEncoder.Encode(batch);
        return encoded.ColumnCount;
    }

    private FeatureBatch BuildAllRowByRow()
    {
        var frame = Cold ? _coldFrames[_nextCold++ % _coldFrames.Length] : _all;
        var batch = new FeatureBatch(Rows);
        var built = new BatchColumn?[frame.Names.Count];
        var isBuilt = new bool[frame.Names.Count];
        RowColumns.TryBuild(batch, frame, built, isBuilt);
        foreach (var column in built)
        {
            batch.Add(column!);
        }

        return batch;
    }
}
