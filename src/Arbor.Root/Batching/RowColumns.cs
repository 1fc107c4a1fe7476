using System.Buffers;
using System.Runtime.CompilerServices;
using Arbor.Features.Batches;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Preprocessing;

namespace Arbor.Root.Batching;

/// <summary>
/// Builds the float, int64, float-vector and int64-list columns of a per-row frame together, row
/// by row: each row's values are read in slot order and written straight into their columns'
/// buffers with their missing bits. The same columns as <see cref="ColumnBuilder"/> builds one at a
/// time (which reads every value three or four times, column by column, across the rows' separate
/// arrays), in one pass over the rows: the int64 lists are encoded as the wire's varints as they are
/// read (<see cref="Int64ListColumnWriter"/>). String and bytes columns stay with <see cref="ColumnBuilder"/>.
/// </summary>
/// <remarks>
/// Float columns read a cached row's floats from its packed <see cref="FloatRow"/> (4 bytes a value,
/// in slot order) where the table has one, and fall back to the value array for anything else.
/// Reading cached rows waits on memory: the packed floats and the ascending slot order are what
/// keep that wait short.
/// </remarks>
internal static class RowColumns
{
    /// <summary>
    /// Builds the registered float, int64, float-vector and int64-list columns of
    /// <paramref name="frame"/> into <paramref name="built"/> (per frame column: the column, or null
    /// when no row has a value) and marks them in <paramref name="isBuilt"/>. False when a value is
    /// not of its column's type or a vector's length differs from the column's: the caller then
    /// builds every column one at a time, which says which value.
    /// </summary>
    public static bool TryBuild(FeatureBatch batch, FeatureFrame frame, BatchColumn?[] built, bool[] isBuilt)
    {
        var columns = frame.Names.Count;
        var rows = frame.RowCount;
        var count = 0;
        for (var c = 0; c < columns; c++)
        {
            isBuilt[c] = IsRowKind(frame.Planned(c).OutputKind);
            count += isBuilt[c] ? 1 : 0;
        }

        if (count == 0 || rows == 0)
        {
            Array.Clear(isBuilt);
            return true;
        }

        var table = frame.Table;
        var rented = ArrayPool<State>.Shared.Rent(count);
        try
        {
            return TryBuild(batch, frame, table, rented.AsSpan(0, count), built, isBuilt);
        }
        finally
        {
            // The entries hold the request's buffers and client columns: none stays in the pool.
            Array.Clear(rented, 0, count);
            ArrayPool<State>.Shared.Return(rented);
        }
    }

    /// <summary>Whether columns of this registered kind are built here.</summary>
    public static bool IsRowKind(FeatureType kind) =>
        kind is FeatureType.Float or FeatureType.Int64 or FeatureType.FloatVector or FeatureType.Int64List;

    private static bool TryBuild(FeatureBatch batch, FeatureFrame frame, FeatureTable? table, Span<State> state, BatchColumn?[] built, bool[] isBuilt)
    {
        var columns = frame.Names.Count;
        var rows = frame.RowCount;
        // The columns in the order of their slots, so that each row's values are read in ascending
        // memory order (the processor then fetches the lines ahead).
        var rented = state.Length <= 256 ? null : ArrayPool<long>.Shared.Rent(state.Length);
        var order = rented is null ? stackalloc long[state.Length] : rented.AsSpan(0, state.Length);
        var at = 0;
        for (var c = 0; c < columns; c++)
        {
            if (isBuilt[c])
            {
                order[at++] = ((long)(table?.SlotOf(c) ?? -1) << 32) | (uint)c;
            }
        }

        order.Sort();
        at = 0;
        foreach (var key in order)
        {
            var c = (int)(key & uint.MaxValue);
            var planned = frame.Planned(c);
            var kind = planned.OutputKind;
            state[at++] = new State
            {
                Column = c,
                Kind = kind,
                Slot = (int)(key >> 32),
                Client = frame.ClientOf(c),
                Missing = planned.Missing,
                Floats = kind == FeatureType.Float ? batch.Rent<float>(rows) : default,
                Longs = kind == FeatureType.Int64 ? batch.Rent<long>(rows) : default,
                Lists = kind == FeatureType.Int64List ? new Int64ListColumnWriter(batch) : default,
                Dim = -1,
            };
        }

        if (rented is not null)
        {
            ArrayPool<long>.Shared.Return(rented);
        }

        for (var row = 0; row < rows; row++)
        {
            var values = table?.RowValues(row);
            var floats = table?.FloatRowValues(row);
            for (var i = 0; i < state.Length; i++)
            {
                ref var column = ref state[i];
                if (column.Kind == FeatureType.Float && floats is not null && column.Client is null)
                {
                    // The cached float, or its absence, from the packed row; a value of another kind
                    // (the client's error to report) is read from the value array.
                    var found = FloatRow.Read(floats, column.Slot, out var packed);
                    if (found == FloatRow.Slot.Float)
                    {
                        column.Floats.Array![column.Floats.Offset + row] = packed;
                        column.Present++;
                        continue;
                    }

                    if (found == FloatRow.Slot.None && !column.Missing.HasValue)
                    {
                        SetMissing(batch, ref column, row, rows);
                        continue;
                    }

                    if (found == FloatRow.Slot.None && column.Missing.Kind == FeatureType.Float)
                    {
                        // No cached value: the column's missing value (a registered default) stands in.
                        column.Floats.Array![column.Floats.Offset + row] = column.Missing.AsFloat();
                        column.Present++;
                        continue;
                    }
                }

                var value = ValueAt(ref column, values, row);
                if (!value.HasValue)
                {
                    SetMissing(batch, ref column, row, rows);
                    continue;
                }

                if (value.Kind != column.Kind)
                {
                    return false;
                }

                column.Present++;
                switch (column.Kind)
                {
                    case FeatureType.Float:
                        column.Floats.Array![column.Floats.Offset + row] = value.AsFloat();
                        break;
                    case FeatureType.Int64:
                        column.Longs.Array![column.Longs.Offset + row] = value.AsInt64();
                        break;
                    case FeatureType.FloatVector:
                        var vector = value.AsFloatVector();
                        if (column.Dim < 0)
                        {
                            // The first vector sets the dimension; the rows before it had none.
                            column.Dim = vector.Length;
                            column.Floats = batch.Rent<float>(checked(rows * vector.Length));
                            column.Floats.AsSpan(0, row * vector.Length).Clear();
                        }
                        else if (vector.Length != column.Dim)
                        {
                            return false;
                        }

                        vector.CopyTo(column.Floats.AsSpan(row * column.Dim, column.Dim));
                        break;
                    default:
                        column.Lists.Add(value.AsInt64List());
                        break;
                }
            }
        }

        foreach (ref var column in state)
        {
            var name = frame.Names[column.Column];
            built[column.Column] = column.Present == 0 ? null : column.Kind switch
            {
                FeatureType.Float => batch.CreateFloat(name, column.Floats, rows, column.MissingBits),
                FeatureType.Int64 => batch.CreateInt64(name, column.Longs, rows, column.MissingBits),
                FeatureType.FloatVector => batch.CreateFloatVector(name, column.Dim, column.Floats, rows, column.MissingBits),
                _ => column.Lists.Create(name, column.MissingBits),
            };
        }

        return true;
    }

    /// <summary>
    /// The row's value of the column: the client's, else the cached one, else the column's missing
    /// value. <see cref="FeatureFrame"/>'s indexer and <see cref="FrameColumn"/> read the same way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TypedValue ValueAt(ref State column, TypedValue[]? values, int row)
    {
        if (column.Client is { } client && client.IsSent(row))
        {
            return client[row];
        }

        var value = values is not null && (uint)column.Slot < (uint)values.Length ? values[column.Slot] : default;
        return value.HasValue ? value : column.Missing;
    }

    private static void SetMissing(FeatureBatch batch, ref State column, int row, int rows)
    {
        if (column.MissingBits.Array is null)
        {
            column.MissingBits = batch.Rent<byte>(MissingBitmap.ByteCount(rows));
            column.MissingBits.AsSpan().Clear();
        }

        MissingBitmap.Set(column.MissingBits, row);
        switch (column.Kind)
        {
            case FeatureType.Float:
                column.Floats.Array![column.Floats.Offset + row] = 0f;
                break;
            case FeatureType.Int64:
                column.Longs.Array![column.Longs.Offset + row] = 0L;
                break;
            case FeatureType.FloatVector:
                // Before the first vector there is no buffer yet: it is cleared up to its row when made.
                if (column.Dim >= 0)
                {
                    column.Floats.AsSpan(row * column.Dim, column.Dim).Clear();
                }

                break;
            default:
                column.Lists.AddEmpty();
                break;
        }
    }

    private struct State
    {
        public int Column;
        public FeatureType Kind;
        public int Slot;
        public ClientColumn? Client;
        public TypedValue Missing;
        public ArraySegment<float> Floats;
        public ArraySegment<long> Longs;
        public Int64ListColumnWriter Lists;
        public ArraySegment<byte> MissingBits;
        public int Dim;
        public int Present;
    }
}
