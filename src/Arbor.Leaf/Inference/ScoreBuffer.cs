using System.Buffers;

namespace Arbor.Leaf.Inference;

/// <summary>Row-major scores [rows, columns] in a pooled array; dispose returns the array.</summary>
public sealed class ScoreBuffer : IDisposable
{
    private float[]? _array;

    internal ScoreBuffer(int rows, int columns)
    {
        Rows = rows;
        Columns = columns;
        _array = ArrayPool<float>.Shared.Rent(Math.Max(rows * columns, 1));
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>The scores: <c>Scores[row * Columns + column]</c>.</summary>
    public ArraySegment<float> Scores => new(Array, 0, Rows * Columns);

    internal float[] Array => _array ?? throw new ObjectDisposedException(nameof(ScoreBuffer));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<float>.Shared.Return(array);
        }
    }
}
