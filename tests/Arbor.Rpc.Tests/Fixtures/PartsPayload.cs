using System.Buffers;
using Arbor.Rpc.Marshalling;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>
/// A request made of separately encoded parts, written one after the other into the send buffer
/// (never concatenated first), and counting how often it was written.
/// </summary>
public sealed class PartsPayload(IReadOnlyList<byte[]> parts) : IRpcPayload
{
    private int _writes;

    public int Length { get; } = parts.Sum(p => p.Length);

    /// <summary>How many times <see cref="WriteTo"/> ran.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>The bytes the payload writes, concatenated (for assertions).</summary>
    public byte[] ToArray() => [.. parts.SelectMany(p => p)];

    public void WriteTo(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Interlocked.Increment(ref _writes);
        foreach (var part in parts)
        {
            destination.Write(part);
        }
    }
}
