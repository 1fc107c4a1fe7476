using System.Buffers.Binary;
using Arbor.Features.Values;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// Walks the entries of one packed row (<see cref="PackedFeatures"/>) without allocating: each
/// <see cref="MoveNext"/> exposes a name id, a type code and a payload slice. A malformed row gives
/// a <see cref="FormatException"/>. An empty span reads as a row without features.
/// </summary>
internal ref struct PackedFeatureReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private int _remaining;
    private int _entryStart;

    public PackedFeatureReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        NameId = -1;
        if (data.IsEmpty)
        {
            return;
        }

        if (data.Length < PackedFeatures.HeaderLength || data[0] != PackedFeatures.Format)
        {
            throw new FormatException($"Not a packed feature row of format {PackedFeatures.Format}.");
        }

        Count = BinaryPrimitives.ReadInt32LittleEndian(data[1..]);
        if (Count < 0)
        {
            throw new FormatException($"A packed feature row cannot hold {Count} features.");
        }

        _remaining = Count;
        _position = PackedFeatures.HeaderLength;
    }

    /// <summary>How many features the row holds.</summary>
    public int Count { get; }

    /// <summary>The current feature's name id (ascending through the row).</summary>
    public int NameId { get; private set; }

    /// <summary>The current feature's <see cref="FeatureType"/> as its stored code (1..6).</summary>
    public int TypeCode { get; private set; }

    /// <summary>The current feature's payload in <see cref="TypedValueCodec"/> form.</summary>
    public ReadOnlySpan<byte> Payload { get; private set; }

    /// <summary>The current entry's bytes as stored (copied as is when rows are merged).</summary>
    public readonly ReadOnlySpan<byte> Entry => _data[_entryStart.._position];

    public bool MoveNext()
    {
        if (_remaining == 0)
        {
            if (_position != _data.Length)
            {
                throw new FormatException($"A packed feature row has {_data.Length - _position} bytes after its last feature.");
            }

            return false;
        }

        _entryStart = _position;
        var id = PackedFeatures.ReadVarint(_data, ref _position);
        if (id <= NameId)
        {
            throw new FormatException("The feature ids of a packed row are not ascending.");
        }

        if (_position >= _data.Length)
        {
            throw new FormatException("A packed feature row ends inside an entry.");
        }

        var type = _data[_position++];
        var length = PackedFeatures.FixedPayloadLength(type);
        if (length < 0)
        {
            length = PackedFeatures.ReadVarint(_data, ref _position);
        }

        if (length > _data.Length - _position)
        {
            throw new FormatException("A packed feature row ends inside a payload.");
        }

        NameId = id;
        TypeCode = type;
        Payload = _data.Slice(_position, length);
        _position += length;
        _remaining--;
        return true;
    }
}
