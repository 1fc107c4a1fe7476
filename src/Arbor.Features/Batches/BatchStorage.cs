using Arbor.Features.Values;

namespace Arbor.Features.Batches;

/// <summary>
/// What a <see cref="FeatureBatch"/> keeps besides its values: the rented arrays, the column lists,
/// the name set and the column objects of an earlier batch, ready to be made into new columns. Goes
/// back to its <see cref="BatchStoragePool"/> when the batch is disposed, so that the next batch
/// finds every list and set already grown to size.
/// </summary>
internal sealed class BatchStorage(BatchStoragePool pool)
{
    // One list of spare columns per reusable kind (Float to Int64List): their values lie on rented
    // buffers; string and byte columns hold arrays of their own and are not reused.
    private readonly List<BatchColumn>[] _spares = [[], [], [], []];

    public BatchStoragePool Pool { get; } = pool;

    public List<Array> Rented { get; } = [];

    public List<BatchColumn> Columns { get; } = [];

    public List<BatchColumn> SharedColumns { get; } = [];

    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>The number of column objects kept for reuse.</summary>
    public int SpareCount
    {
        get
        {
            var count = 0;
            foreach (var spares in _spares)
            {
                count += spares.Count;
            }

            return count;
        }
    }

    /// <summary>Readies the lists for about <paramref name="columnCapacity"/> per-row columns.</summary>
    public void Reserve(int columnCapacity)
    {
        Columns.EnsureCapacity(columnCapacity);
        Names.EnsureCapacity(columnCapacity);
    }

    /// <summary>A column object of <paramref name="kind"/> an earlier batch made, or null.</summary>
    public BatchColumn? TakeSpare(FeatureType kind)
    {
        var spares = _spares[(int)kind - 1];
        if (spares.Count == 0)
        {
            return null;
        }

        var column = spares[^1];
        spares.RemoveAt(spares.Count - 1);
        return column;
    }

    /// <summary>Forgets the batch: its own columns become spares, everything else is cleared.</summary>
    public void Clear()
    {
        Keep(Columns);
        Keep(SharedColumns);
        Rented.Clear();
        Names.Clear();
    }

    private void Keep(List<BatchColumn> columns)
    {
        foreach (var column in columns)
        {
            // Only the columns this storage made: a column built alone belongs to its caller.
            if (ReferenceEquals(column.Owner, this) && column.Kind <= FeatureType.Int64List)
            {
                column.Owner = null;
                _spares[(int)column.Kind - 1].Add(column);
            }
        }

        columns.Clear();
    }
}
