using System.Buffers;

namespace Arbor.Rpc.Wire;

/// <summary>
/// A request message that writes its own serialized protobuf bytes. Lets a caller send bytes it
/// has already encoded (for example feature columns encoded once and shared by several calls)
/// without building and re-serializing a message object.
/// </summary>
public interface IRpcPayload
{
    /// <summary>The serialized length when known cheaply (0: unknown); lets the channel size its buffer once.</summary>
    int LengthHint => 0;

    /// <summary>Writes the serialized message (no frame header) into <paramref name="destination"/>.</summary>
    void WriteTo(IBufferWriter<byte> destination);
}
