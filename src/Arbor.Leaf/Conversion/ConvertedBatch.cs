using System.Buffers;
using Arbor.Leaf.Native;

namespace Arbor.Leaf.Conversion;

/// <summary>
/// The forward arguments of one batch of rows, in pooled buffers. Dispose returns the buffers;
/// the arguments must not be used afterwards.
/// </summary>
public sealed class ConvertedBatch : IDisposable
{
    private readonly TensorInput[] _arguments;
    private readonly float[]?[] _floats;
    private readonly long[]?[] _int64s;
    private bool _disposed;

    internal ConvertedBatch(int rowCount, TensorInput[] arguments, float[]?[] floats, long[]?[] int64s, int unused, int missing)
    {
        RowCount = rowCount;
        _arguments = arguments;
        _floats = floats;
        _int64s = int64s;
        UnusedFeatures = unused;
        MissingFeatures = missing;
    }

    /// <summary>The batch size B.</summary>
    public int RowCount { get; }

    /// <summary>Features received that the signature does not use.</summary>
    public int UnusedFeatures { get; }

    /// <summary>Features the signature uses that the request did not carry (defaults were used).</summary>
    public int MissingFeatures { get; }

    /// <summary>The forward arguments, in signature order (an id list contributes values and offsets).</summary>
    public ReadOnlySpan<TensorInput> Arguments
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _arguments;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var buffer in _floats)
        {
            if (buffer is not null)
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }

        foreach (var buffer in _int64s)
        {
            if (buffer is not null)
            {
                ArrayPool<long>.Shared.Return(buffer);
            }
        }
    }
}
