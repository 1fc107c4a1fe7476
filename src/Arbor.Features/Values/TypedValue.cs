using System.Globalization;
using System.Runtime.InteropServices;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.Features.Values;

/// <summary>
/// One feature value of one of the six feature types, or no value (<c>default</c>).
/// </summary>
/// <remarks>
/// A 24-byte struct: scalars live inline (no allocation per value); vectors, lists, strings and
/// bytes hold one array or string. Values are immutable: the arrays handed to the factories are
/// owned by the value afterwards and only exposed as read-only spans, so cached values can be
/// shared by every request without copying.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
public readonly struct TypedValue : IEquatable<TypedValue>
{
    private readonly object? _reference;
    private readonly long _bits;

    private TypedValue(FeatureType kind, long bits, object? reference)
    {
        Kind = kind;
        _bits = bits;
        _reference = reference;
    }

    /// <summary>The <see cref="Kind"/> of a value that holds none: <c>default</c>, which names no <see cref="FeatureType"/>.</summary>
    public const FeatureType NoKind = default;

    /// <summary>The value's type; <see cref="NoKind"/> when there is no value.</summary>
    public FeatureType Kind { get; }

    public bool HasValue => Kind != NoKind;

    public static TypedValue None => default;

    public static TypedValue FromFloat(float value) =>
        new(FeatureType.Float, BitConverter.SingleToInt32Bits(value), null);

    public static TypedValue FromInt64(long value) => new(FeatureType.Int64, value, null);

    /// <summary>Wraps <paramref name="values"/> without copying; the caller must not change it afterwards.</summary>
    public static TypedValue FromFloatVector(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(FeatureType.FloatVector, 0, values);
    }

    /// <summary>Wraps <paramref name="values"/> without copying; the caller must not change it afterwards.</summary>
    public static TypedValue FromInt64List(long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(FeatureType.Int64List, 0, values);
    }

    public static TypedValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(FeatureType.String, 0, value);
    }

    /// <summary>Wraps <paramref name="value"/> without copying; the caller must not change it afterwards.</summary>
    public static TypedValue FromBytes(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(FeatureType.Bytes, 0, value);
    }

    public float AsFloat() => Kind == FeatureType.Float
        ? BitConverter.Int32BitsToSingle((int)_bits)
        : throw WrongKind(FeatureType.Float);

    public long AsInt64() => Kind == FeatureType.Int64 ? _bits : throw WrongKind(FeatureType.Int64);

    public ReadOnlySpan<float> AsFloatVector() => Kind == FeatureType.FloatVector
        ? (float[])_reference!
        : throw WrongKind(FeatureType.FloatVector);

    public ReadOnlySpan<long> AsInt64List() => Kind == FeatureType.Int64List
        ? (long[])_reference!
        : throw WrongKind(FeatureType.Int64List);

    public string AsString() => Kind == FeatureType.String
        ? (string)_reference!
        : throw WrongKind(FeatureType.String);

    public ReadOnlySpan<byte> AsBytes() => Kind == FeatureType.Bytes
        ? (byte[])_reference!
        : throw WrongKind(FeatureType.Bytes);

    /// <summary>Approximate memory held by this value beyond the struct itself (for cache sizing).</summary>
    public int EstimatedHeapBytes => Kind switch
    {
        // Array/string object header (~24 bytes) plus the payload.
        FeatureType.FloatVector => 24 + (((float[])_reference!).Length * sizeof(float)),
        FeatureType.Int64List => 24 + (((long[])_reference!).Length * sizeof(long)),
        FeatureType.String => 24 + (((string)_reference!).Length * sizeof(char)),
        FeatureType.Bytes => 24 + ((byte[])_reference!).Length,
        _ => 0,
    };

    /// <summary>Converts a wire value (e.g. a client-provided feature); an unset oneof gives <see cref="None"/>.</summary>
    public static TypedValue FromProto(ProtoFeatureValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.KindCase switch
        {
            ProtoFeatureValue.KindOneofCase.FloatValue => FromFloat(value.FloatValue),
            ProtoFeatureValue.KindOneofCase.Int64Value => FromInt64(value.Int64Value),
            ProtoFeatureValue.KindOneofCase.FloatVector => FromFloatVector([.. value.FloatVector.Values]),
            ProtoFeatureValue.KindOneofCase.Int64List => FromInt64List([.. value.Int64List.Values]),
            ProtoFeatureValue.KindOneofCase.StringValue => FromString(value.StringValue),
            ProtoFeatureValue.KindOneofCase.BytesValue => FromBytes(value.BytesValue.ToByteArray()),
            _ => None,
        };
    }

    public bool Equals(TypedValue other)
    {
        if (Kind != other.Kind)
        {
            return false;
        }

        // Floats compare bitwise so that NaN equals NaN and preprocessing can be checked exactly.
        return Kind switch
        {
            NoKind => true,
            FeatureType.Float or FeatureType.Int64 => _bits == other._bits,
            FeatureType.FloatVector => MemoryMarshal.AsBytes(AsFloatVector()).SequenceEqual(MemoryMarshal.AsBytes(other.AsFloatVector())),
            FeatureType.Int64List => AsInt64List().SequenceEqual(other.AsInt64List()),
            FeatureType.String => string.Equals(AsString(), other.AsString(), StringComparison.Ordinal),
            FeatureType.Bytes => AsBytes().SequenceEqual(other.AsBytes()),
            _ => false,
        };
    }

    public override bool Equals(object? obj) => obj is TypedValue other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        switch (Kind)
        {
            case FeatureType.Float or FeatureType.Int64:
                hash.Add(_bits);
                break;
            case FeatureType.String:
                hash.Add(AsString(), StringComparer.Ordinal);
                break;
            case FeatureType.FloatVector or FeatureType.Int64List or FeatureType.Bytes:
                hash.AddBytes(Kind switch
                {
                    FeatureType.FloatVector => MemoryMarshal.AsBytes(AsFloatVector()),
                    FeatureType.Int64List => MemoryMarshal.AsBytes(AsInt64List()),
                    _ => AsBytes(),
                });
                break;
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(TypedValue left, TypedValue right) => left.Equals(right);

    public static bool operator !=(TypedValue left, TypedValue right) => !left.Equals(right);

    public override string ToString() => Kind switch
    {
        NoKind => "none",
        FeatureType.Float => AsFloat().ToString("R", CultureInfo.InvariantCulture),
        FeatureType.Int64 => AsInt64().ToString(CultureInfo.InvariantCulture),
        FeatureType.FloatVector => "[" + string.Join(", ", ((float[])_reference!).Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]",
        FeatureType.Int64List => "[" + string.Join(", ", (long[])_reference!) + "]",
        FeatureType.String => "\"" + AsString() + "\"",
        FeatureType.Bytes => "b64:" + Convert.ToBase64String(AsBytes()),
        _ => Kind.ToString(),
    };

    private InvalidOperationException WrongKind(FeatureType wanted) =>
        new($"The value is {Kind}, not {wanted}.");
}
