using Arbor.Features.Batches;
using Arbor.Root.Preprocessing;
using Arbor.Root.Store;

namespace Arbor.Root.Batching;

/// <summary>
/// Builds one <see cref="BatchColumn"/> from the (preprocessed) values of one feature over the rows
/// of a request. The column's type is the feature's registered output type, or the type of the first
/// value when the feature is not registered; a value of another type is a caller error.
/// </summary>
internal static class ColumnBuilder
{
    /// <summary>
    /// Builds the column, or returns null when no row has a value (the leaf then applies the
    /// signature's defaults, and no bytes are spent on an empty column).
    /// </summary>
    /// <param name="name">The feature.</param>
    /// <param name="values">One value per row; <see cref="TypedValue.None"/> where the row has none.</param>
    /// <param name="registeredKind">The registered output kind, or None when the feature is not registered.</param>
    public static BatchColumn? Build(string name, ReadOnlySpan<TypedValue> values, TypedValueKind registeredKind)
    {
        var kind = registeredKind;
        var present = 0;
        foreach (ref readonly var value in values)
        {
            if (!value.HasValue)
            {
                continue;
            }

            present++;
            if (kind == TypedValueKind.None)
            {
                kind = value.Kind;
            }
            else if (value.Kind != kind)
            {
                throw new FeatureValueException($"feature '{name}' has a {value.Kind} value where {kind} values are expected");
            }
        }

        if (present == 0)
        {
            return null;
        }

        var missing = present == values.Length ? null : MissingBits(values);
        return kind switch
        {
            TypedValueKind.Float => BuildFloat(name, values, missing),
            TypedValueKind.Int64 => BuildInt64(name, values, missing),
            TypedValueKind.FloatVector => BuildFloatVector(name, values, missing),
            TypedValueKind.Int64List => BuildInt64List(name, values, missing),
            TypedValueKind.String => BuildString(name, values, missing),
            _ => BuildBytes(name, values, missing),
        };
    }

    private static byte[] MissingBits(ReadOnlySpan<TypedValue> values)
    {
        var bits = new byte[(values.Length + 7) / 8];
        for (var row = 0; row < values.Length; row++)
        {
            if (!values[row].HasValue)
            {
                bits[row >> 3] |= (byte)(1 << (row & 7));
            }
        }

        return bits;
    }

    private static FloatBatchColumn BuildFloat(string name, ReadOnlySpan<TypedValue> values, byte[]? missing)
    {
        var column = new float[values.Length];
        for (var row = 0; row < values.Length; row++)
        {
            if (values[row].HasValue)
            {
                column[row] = values[row].AsFloat();
            }
        }

        return new FloatBatchColumn(name, column, missing);
    }

    private static Int64BatchColumn BuildInt64(string name, ReadOnlySpan<TypedValue> values, byte[]? missing)
    {
        var column = new long[values.Length];
        for (var row = 0; row < values.Length; row++)
        {
            if (values[row].HasValue)
            {
                column[row] = values[row].AsInt64();
            }
        }

        return new Int64BatchColumn(name, column, missing);
    }

    private static FloatVectorBatchColumn BuildFloatVector(string name, ReadOnlySpan<TypedValue> values, byte[]? missing)
    {
        var dim = -1;
        foreach (ref readonly var value in values)
        {
            if (!value.HasValue)
            {
                continue;
            }

            var length = value.AsFloatVector().Length;
            if (dim < 0)
            {
                dim = length;
            }
            else if (length != dim)
            {
                throw new FeatureValueException($"feature '{name}' mixes float vectors of {dim} and {length} values");
            }
        }

        var column = new float[values.Length * dim];
        for (var row = 0; row < values.Length; row++)
        {
            if (values[row].HasValue)
            {
                values[row].AsFloatVector().CopyTo(column.AsSpan(row * dim, dim));
            }
        }

        return new FloatVectorBatchColumn(name, dim, column, missing);
    }

    private static Int64ListBatchColumn BuildInt64List(string name, ReadOnlySpan<TypedValue> values, byte[]? missing)
    {
        var lengths = new int[values.Length];
        var total = 0;
        for (var row = 0; row < values.Length; row++)
        {
            if (values[row].HasValue)
            {
                lengths[row] = values[row].AsInt64List().Length;
                total += lengths[row];
            }
        }

        var column = new long[total];
        var offset = 0;
        for (var row = 0; row < values.Length; row++)
        {
            if (values[row].HasValue)
            {
                var list = values[row].AsInt64List();
                list.CopyTo(column.AsSpan(offset));
                offset += list.Length;
            }
        }

        return new Int64ListBatchColumn(name, lengths, column, missing);
    }

    private static StringBatchColumn BuildString(string name, ReadOnlySpan<TypedValue> values, byte[]? missing)
    {
        var column = new string[values.Length];
        for (var row = 0; row < values.Length; row++)
        {
            column[row] = values[row].HasValue ? values[row].AsString() : string.Empty;
        }

        return new StringBatchColumn(name, column, missing);
    }

    private static BytesBatchColumn BuildBytes(string name, ReadOnlySpan<TypedValue> values, byte[]? missing)
    {
        var column = new ReadOnlyMemory<byte>[values.Length];
        for (var row = 0; row < values.Length; row++)
        {
            column[row] = values[row].HasValue ? values[row].AsBytes().ToArray() : ReadOnlyMemory<byte>.Empty;
        }

        return new BytesBatchColumn(name, column, missing);
    }
}
