using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Native;

/// <summary>
/// One forward argument: a caller-owned buffer and its shape. The shim wraps the buffer with
/// <c>torch::from_blob</c>, so nothing is copied on the way in.
/// </summary>
public readonly struct TensorInput
{
    private TensorInput(Memory<float> floats, Memory<long> int64s, TensorDType type, long dim0, long dim1, int rank)
    {
        Floats = floats;
        Int64s = int64s;
        DType = type;
        Dim0 = dim0;
        Dim1 = dim1;
        Rank = rank;
    }

    public Memory<float> Floats { get; }

    public Memory<long> Int64s { get; }

    public TensorDType DType { get; }

    public long Dim0 { get; }

    public long Dim1 { get; }

    /// <summary>1 (shape [Dim0]) or 2 (shape [Dim0, Dim1]).</summary>
    public int Rank { get; }

    /// <summary>A float32 matrix [rows, cols] over the first rows*cols elements of <paramref name="data"/>.</summary>
    public static TensorInput Float32(Memory<float> data, long rows, long cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Length, rows * cols, nameof(data));
        return new TensorInput(data[..(int)(rows * cols)], default, TensorDType.Float32, rows, cols, 2);
    }

    /// <summary>An int64 vector [length] over the first length elements of <paramref name="data"/>.</summary>
    public static TensorInput Int64(Memory<long> data, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Length, length, nameof(data));
        return new TensorInput(default, data[..(int)length], TensorDType.Int64, length, 0, 1);
    }
}
