using System.Buffers;

namespace Arbor.Features.Tests.Support;

/// <summary>An <see cref="IBufferWriter{T}"/> that hands out spans no larger than asked (or a small segment), like a pipe.</summary>
public sealed class SmallSegmentBufferWriter(int segmentSize) : IBufferWriter<byte>
{
    private readonly List<byte[]> _segments = [];
    private byte[] _current = [];

    public void Advance(int count)
    {
        _segments.Add(_current[..count]);
        _current = [];
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        _current = new byte[Math.Max(sizeHint, segmentSize)];
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public byte[] ToArray() => [.. _segments.SelectMany(s => s)];
}
