using System.Buffers;

namespace Arbor.Rpc.Marshalling;

/// <summary>
/// A request message that writes its own serialized protobuf bytes. Lets a caller send bytes it
/// has already encoded (for example feature columns encoded once and shared by several calls)
/// without building and re-serializing a message object.
/// </summary>
public interface IRpcPayload
{
    /// <summary>The exact serialized length; the send buffer is sized from it once.</summary>
    int Length { get; }

    /// <summary>Writes exactly <see cref="Length"/> serialized bytes (no frame header) into <paramref name="destination"/>.</summary>
    void WriteTo(IBufferWriter<byte> destination);
}
