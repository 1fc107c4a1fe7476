using System.Buffers;
using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Preprocessing;

namespace Arbor.Root.Batching;

/// <summary>
/// Builds the float and int64 columns of a per-row frame together, row by row: each row's values
/// are read once, in slot order, and written straight into their columns' buffers with their
/// missing bits. The same columns as <see cref="ColumnBuilder"/> builds one at a time (which reads
/// every value three times, column by column, across the rows' separate arrays), in one pass.
/// </summary>
internal static class ScalarColumns
{
    /// <summary>
    /// Builds the registered float and int64 columns of <paramref name="frame"/> into
    /// <paramref name="built"/> (per frame column: the column, or null when no row has a value) and
    /// marks them in <paramref name="isScalar"/>. False when a value is not of its column's type: the
    /// caller then builds every column one at a time, which says which value.
    /// </summary>
    public static bool TryBuild(FeatureBatch batch, FeatureFrame frame, BatchColumn?[] built, bool[] isScalar)
    {
        var columns = frame.Names.Count;
        var rows = frame.RowCount;
        var scalars = 0;
        for (var c = 0; c < columns; c++)
        {
            var kind = frame.Planned(c).OutputKind;
            isScalar[c] = kind is FeatureType.Float or FeatureType.Int64;
            scalars += isScalar[c] ? 1 : 0;
        }

        if (scalars == 0 || rows == 0)
        {
            Array.Clear(isScalar);
            return true;
        }

        var table = frame.Table;
        var rented = ArrayPool<Scalar>.Shared.Rent(scalars);
        try
        {
            return TryBuild(batch, frame, table, rented.AsSpan(0, scalars), built, isScalar);
        }
        finally
        {
            // The entries hold the request's buffers and client columns: none stays in the pool.
            Array.Clear(rented, 0, scalars);
            ArrayPool<Scalar>.Shared.Return(rented);
        }
    }

    private static bool TryBuild(FeatureBatch batch, FeatureFrame frame, FeatureTable? table, Span<Scalar> state, BatchColumn?[] built, bool[] isScalar)
    {
        var columns = frame.Names.Count;
        var rows = frame.RowCount;
        var at = 0;
        for (var c = 0; c < columns; c++)
        {
            if (!isScalar[c])
            {
                continue;
            }

            var planned = frame.Planned(c);
            var kind = planned.OutputKind;
            state[at++] = new Scalar
            {
                Column = c,
                Kind = kind,
                Slot = table?.SlotOf(c) ?? -1,
                Client = frame.ClientOf(c),
                Missing = planned.Missing,
                Floats = kind == FeatureType.Float ? batch.Rent<float>(rows) : default,
                Longs = kind == FeatureType.Int64 ? batch.Rent<long>(rows) : default,
            };
        }

        for (var row = 0; row < rows; row++)
        {
            var values = table?.RowValues(row);
            for (var i = 0; i < state.Length; i++)
            {
                ref var column = ref state[i];
                TypedValue value;
                if (column.Client is { } client && client.IsSent(row))
                {
                    value = client[row];
                }
                else
                {
                    value = values is not null && (uint)column.Slot < (uint)values.Length ? values[column.Slot] : default;
                    if (!value.HasValue)
                    {
                        value = column.Missing;
                    }
                }

                if (!value.HasValue)
                {
                    if (column.MissingBits.Array is null)
                    {
                        column.MissingBits = batch.Rent<byte>(MissingBitmap.ByteCount(rows));
                        column.MissingBits.AsSpan().Clear();
                    }

                    MissingBitmap.Set(column.MissingBits, row);
                    if (column.Kind == FeatureType.Float)
                    {
                        column.Floats.Array![column.Floats.Offset + row] = 0f;
                    }
                    else
                    {
                        column.Longs.Array![column.Longs.Offset + row] = 0L;
                    }

                    continue;
                }

                if (value.Kind != column.Kind)
                {
                    return false;
                }

                column.Present++;
                if (column.Kind == FeatureType.Float)
                {
                    column.Floats.Array![column.Floats.Offset + row] = value.AsFloat();
                }
                else
                {
                    column.Longs.Array![column.Longs.Offset + row] = value.AsInt64();
                }
            }
        }

        foreach (ref var column in state)
        {
            var name = frame.Names[column.Column];
            built[column.Column] = column.Present == 0 ? null
                : column.Kind == FeatureType.Float ? batch.CreateFloat(name, column.Floats, rows, column.MissingBits)
                : batch.CreateInt64(name, column.Longs, rows, column.MissingBits);
        }

        return true;
    }

    private struct Scalar
    {
        public int Column;
        public FeatureType Kind;
        public int Slot;
        public ClientColumn? Client;
        public TypedValue Missing;
        public ArraySegment<float> Floats;
        public ArraySegment<long> Longs;
        public ArraySegment<byte> MissingBits;
        public int Present;
    }
}
