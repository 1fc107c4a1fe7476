using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.Root.Preprocessing;

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
    /// <param name="values">One value per row; <see cref="TypedValue.None"/> where the row has none (read in place, never copied).</param>
    /// <param name="registeredKind">The registered output kind, or None when the feature is not registered.</param>
    public static BatchColumn? Build<TValues>(FeatureBatch batch, string name, TValues values, FeatureType registeredKind)
        where TValues : struct, IColumnValues
    {
        var kind = registeredKind;
        var present = 0;
        for (var row = 0; row < values.RowCount; row++)
        {
            var value = values[row];
            if (!value.HasValue)
            {
                continue;
            }

            present++;
            if (kind == TypedValue.NoKind)
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

        var missing = present == values.RowCount ? default : MissingBits(batch, values);
        return kind switch
        {
            FeatureType.Float => BuildFloat(batch, name, values, missing),
            FeatureType.Int64 => BuildInt64(batch, name, values, missing),
            FeatureType.FloatVector => BuildFloatVector(batch, name, values, missing),
            FeatureType.Int64List => BuildInt64List(batch, name, values, missing),
            FeatureType.String => BuildString(name, values, missing),
            _ => BuildBytes(name, values, missing),
        };
    }

    private static ArraySegment<byte> MissingBits<TValues>(FeatureBatch batch, TValues values)
        where TValues : struct, IColumnValues
    {
        var bits = batch.Rent<byte>(MissingBitmap.ByteCount(values.RowCount));
        bits.AsSpan().Clear();
        for (var row = 0; row < values.RowCount; row++)
        {
            if (!values[row].HasValue)
            {
                MissingBitmap.Set(bits, row);
            }
        }

        return bits;
    }

    private static FloatBatchColumn BuildFloat<TValues>(FeatureBatch batch, string name, TValues values, ArraySegment<byte> missing)
        where TValues : struct, IColumnValues
    {
        var column = batch.Rent<float>(values.RowCount);
        var span = column.AsSpan();
        for (var row = 0; row < span.Length; row++)
        {
            var value = values[row];
            span[row] = value.HasValue ? value.AsFloat() : 0f;
        }

        return batch.CreateFloat(name, column, values.RowCount, missing);
    }

    private static Int64BatchColumn BuildInt64<TValues>(FeatureBatch batch, string name, TValues values, ArraySegment<byte> missing)
        where TValues : struct, IColumnValues
    {
        var column = batch.Rent<long>(values.RowCount);
        var span = column.AsSpan();
        for (var row = 0; row < span.Length; row++)
        {
            var value = values[row];
            span[row] = value.HasValue ? value.AsInt64() : 0L;
        }

        return batch.CreateInt64(name, column, values.RowCount, missing);
    }

    private static FloatVectorBatchColumn BuildFloatVector<TValues>(FeatureBatch batch, string name, TValues values, ArraySegment<byte> missing)
        where TValues : struct, IColumnValues
    {
        var dim = -1;
        for (var row = 0; row < values.RowCount; row++)
        {
            var value = values[row];
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

        var column = batch.Rent<float>(values.RowCount * dim);
        for (var row = 0; row < values.RowCount; row++)
        {
            var value = values[row];
            if (value.HasValue)
            {
                value.AsFloatVector().CopyTo(column.AsSpan(row * dim, dim));
            }
            else
            {
                column.AsSpan(row * dim, dim).Clear();
            }
        }

        return batch.CreateFloatVector(name, dim, column, values.RowCount, missing);
    }

    private static Int64ListBatchColumn BuildInt64List<TValues>(FeatureBatch batch, string name, TValues values, ArraySegment<byte> missing)
        where TValues : struct, IColumnValues
    {
        var writer = new Int64ListColumnWriter(batch, values.RowCount);
        for (var row = 0; row < values.RowCount; row++)
        {
            var value = values[row];
            if (value.HasValue)
            {
                writer.Add(value.AsInt64List());
            }
            else
            {
                writer.AddEmpty();
            }
        }

        return writer.Create(name, missing);
    }

    private static StringBatchColumn BuildString<TValues>(string name, TValues values, ArraySegment<byte> missing)
        where TValues : struct, IColumnValues
    {
        var column = new string[values.RowCount];
        for (var row = 0; row < values.RowCount; row++)
        {
            var value = values[row];
            column[row] = value.HasValue ? value.AsString() : string.Empty;
        }

        return new StringBatchColumn(name, column, missing);
    }

    private static BytesBatchColumn BuildBytes<TValues>(string name, TValues values, ArraySegment<byte> missing)
        where TValues : struct, IColumnValues
    {
        var column = new ReadOnlyMemory<byte>[values.RowCount];
        for (var row = 0; row < values.RowCount; row++)
        {
            var value = values[row];
            column[row] = value.HasValue ? value.AsBytes().ToArray() : ReadOnlyMemory<byte>.Empty;
        }

        return new BytesBatchColumn(name, column, missing);
    }
}

/// <summary>The values of one column over the rows of a request, read in place (a struct, so reads are not virtual calls).</summary>
internal interface IColumnValues
{
    int RowCount { get; }

    TypedValue this[int row] { get; }
}

/// <summary>
/// One column of a <see cref="FeatureFrame"/>, its value for a row as the frame's indexer gives it,
/// with what the indexer looks up per value (the client's column, the slot, the missing value)
/// looked up once.
/// </summary>
internal readonly struct FrameColumn : IColumnValues
{
    private readonly Arbor.FeatureStore.Sources.FeatureTable? _table;
    private readonly ClientColumn? _client;
    private readonly int _slot;
    private readonly TypedValue _missing;

    public FrameColumn(FeatureFrame frame, int column)
    {
        RowCount = frame.RowCount;
        _table = frame.Table;
        _client = frame.ClientOf(column);
        _slot = _table?.SlotOf(column) ?? -1;
        _missing = frame.Planned(column).Missing;
    }

    public int RowCount { get; }

    public TypedValue this[int row]
    {
        get
        {
            if (_client is { } client && client.IsSent(row))
            {
                return client[row];
            }

            var values = _table?.RowValues(row);
            var value = values is not null && (uint)_slot < (uint)values.Length ? values[_slot] : default;
            return value.HasValue ? value : _missing;
        }
    }
}

/// <summary>A feature the client sent with some candidates; the others take <paramref name="shared"/> (the request-level value, or none).</summary>
internal readonly struct ClientOnlyColumn(ClientColumn client, TypedValue shared) : IColumnValues
{
    public int RowCount => client.RowCount;

    public TypedValue this[int row] => client.IsSent(row) ? client[row] : shared;
}
