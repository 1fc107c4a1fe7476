namespace Arbor.Features.Wire;

/// <summary>The rows of a batch being encoded: every row, or a subset given by row index.</summary>
internal readonly ref struct RowSet
{
    private RowSet(bool all, int count, ReadOnlySpan<int> indices)
    {
        All = all;
        Count = count;
        Indices = indices;
    }

    /// <summary>True when every row is encoded in order (the fast path: bulk copies).</summary>
    public bool All { get; }

    /// <summary>The number of rows encoded.</summary>
    public int Count { get; }

    /// <summary>The encoded rows' indices when <see cref="All"/> is false.</summary>
    public ReadOnlySpan<int> Indices { get; }

    public static RowSet AllOf(int rowCount) => new(true, rowCount, default);

    public static RowSet Subset(ReadOnlySpan<int> indices) => new(false, indices.Length, indices);
}
