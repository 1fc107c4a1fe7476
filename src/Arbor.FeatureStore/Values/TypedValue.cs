using System.Globalization;
using System.Runtime.InteropServices;
using Arbor.Signatures.Registry;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.FeatureStore.Values;

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

    private TypedValue(TypedValueKind kind, long bits, object? reference)
    {
        Kind = kind;
        _bits = bits;
        _reference = reference;
    }

    /// <summary>The value's type; <see cref="TypedValueKind.None"/> when there is no value.</summary>
    public TypedValueKind Kind { get; }

    public bool HasValue => Kind != TypedValueKind.None;

    public static TypedValue None => default;

    public static TypedValue FromFloat(float value) =>
        new(TypedValueKind.Float, BitConverter.SingleToInt32Bits(value), null);

    public static TypedValue FromInt64(long value) => new(TypedValueKind.Int64, value, null);

    /// <summary>Wraps <paramref name="values"/> without copying; the caller must not change it afterwards.</summary>
    public static TypedValue FromFloatVector(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(TypedValueKind.FloatVector, 0, values);
    }

    /// <summary>Wraps <paramref name="values"/> without copying; the caller must not change it afterwards.</summary>
    public static TypedValue FromInt64List(long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(TypedValueKind.Int64List, 0, values);
    }

    public static TypedValue FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(TypedValueKind.String, 0, value);
    }

    /// <summary>Wraps <paramref name="value"/> without copying; the caller must not change it afterwards.</summary>
    public static TypedValue FromBytes(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(TypedValueKind.Bytes, 0, value);
    }

    public float AsFloat() => Kind == TypedValueKind.Float
        ? BitConverter.Int32BitsToSingle((int)_bits)
        : throw WrongKind(TypedValueKind.Float);

    public long AsInt64() => Kind == TypedValueKind.Int64 ? _bits : throw WrongKind(TypedValueKind.Int64);

    public ReadOnlySpan<float> AsFloatVector() => Kind == TypedValueKind.FloatVector
        ? (float[])_reference!
        : throw WrongKind(TypedValueKind.FloatVector);

    public ReadOnlySpan<long> AsInt64List() => Kind == TypedValueKind.Int64List
        ? (long[])_reference!
        : throw WrongKind(TypedValueKind.Int64List);

    public string AsString() => Kind == TypedValueKind.String
        ? (string)_reference!
        : throw WrongKind(TypedValueKind.String);

    public ReadOnlySpan<byte> AsBytes() => Kind == TypedValueKind.Bytes
        ? (byte[])_reference!
        : throw WrongKind(TypedValueKind.Bytes);

    /// <summary>Approximate memory held by this value beyond the struct itself (for cache sizing).</summary>
    public int EstimatedHeapBytes => Kind switch
    {
        // Array/string object header (~24 bytes) plus the payload.
        TypedValueKind.FloatVector => 24 + (((float[])_reference!).Length * sizeof(float)),
        TypedValueKind.Int64List => 24 + (((long[])_reference!).Length * sizeof(long)),
        TypedValueKind.String => 24 + (((string)_reference!).Length * sizeof(char)),
        TypedValueKind.Bytes => 24 + ((byte[])_reference!).Length,
        _ => 0,
    };

    /// <summary>The value kind that holds values of the registry type <paramref name="type"/>.</summary>
    public static TypedValueKind KindOf(FeatureType type) => type switch
    {
        FeatureType.Float => TypedValueKind.Float,
        FeatureType.Int64 => TypedValueKind.Int64,
        FeatureType.FloatVector => TypedValueKind.FloatVector,
        FeatureType.Int64List => TypedValueKind.Int64List,
        FeatureType.String => TypedValueKind.String,
        FeatureType.Bytes => TypedValueKind.Bytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown feature type."),
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
            TypedValueKind.None => true,
            TypedValueKind.Float or TypedValueKind.Int64 => _bits == other._bits,
            TypedValueKind.FloatVector => MemoryMarshal.AsBytes(AsFloatVector()).SequenceEqual(MemoryMarshal.AsBytes(other.AsFloatVector())),
            TypedValueKind.Int64List => AsInt64List().SequenceEqual(other.AsInt64List()),
            TypedValueKind.String => string.Equals(AsString(), other.AsString(), StringComparison.Ordinal),
            TypedValueKind.Bytes => AsBytes().SequenceEqual(other.AsBytes()),
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
            case TypedValueKind.Float or TypedValueKind.Int64:
                hash.Add(_bits);
                break;
            case TypedValueKind.String:
                hash.Add(AsString(), StringComparer.Ordinal);
                break;
            case TypedValueKind.FloatVector or TypedValueKind.Int64List or TypedValueKind.Bytes:
                hash.AddBytes(Kind switch
                {
                    TypedValueKind.FloatVector => MemoryMarshal.AsBytes(AsFloatVector()),
                    TypedValueKind.Int64List => MemoryMarshal.AsBytes(AsInt64List()),
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
        TypedValueKind.None => "none",
        TypedValueKind.Float => AsFloat().ToString("R", CultureInfo.InvariantCulture),
        TypedValueKind.Int64 => AsInt64().ToString(CultureInfo.InvariantCulture),
        TypedValueKind.FloatVector => "[" + string.Join(", ", ((float[])_reference!).Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]",
        TypedValueKind.Int64List => "[" + string.Join(", ", (long[])_reference!) + "]",
        TypedValueKind.String => "\"" + AsString() + "\"",
        TypedValueKind.Bytes => "b64:" + Convert.ToBase64String(AsBytes()),
        _ => Kind.ToString(),
    };

    private InvalidOperationException WrongKind(TypedValueKind wanted) =>
        new($"The value is {Kind}, not {wanted}.");
}
