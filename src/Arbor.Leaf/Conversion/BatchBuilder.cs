using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Leaf.Native;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Conversion;

/// <summary>Fills the pooled buffers of one batch; hands them to a <see cref="ConvertedBatch"/> or returns them.</summary>
internal sealed class BatchBuilder
{
    private readonly InputLayout[] _inputs;
    private readonly float[]?[] _floats;
    private readonly long[]?[] _int64s;
    private readonly int[] _valueCounts;

    public BatchBuilder(InputLayout[] inputs, int argumentCount, int rowCount)
    {
        _inputs = inputs;
        RowCount = rowCount;
        _floats = new float[argumentCount][];
        _int64s = new long[argumentCount][];
        _valueCounts = new int[argumentCount];
        try
        {
            foreach (var input in inputs)
            {
                if (input.Kind == InputKind.IdList)
                {
                    _int64s[input.Argument + 1] = ArrayPool<long>.Shared.Rent(rowCount);
                }
                else
                {
                    _floats[input.Argument] = ArrayPool<float>.Shared.Rent(checked(rowCount * input.Width));
                }
            }
        }
        catch
        {
            Abandon();
            throw;
        }
    }

    public int RowCount { get; }

    /// <summary>
    /// Fills one column of a dense input. <paramref name="omitted"/>: the values hold only the rows
    /// not marked in <paramref name="missing"/> (<c>missing_omitted</c>); otherwise one per row.
    /// </summary>
    public void FillDense(InputLayout input, int column, FeatureColumn source, bool shared, ReadOnlySpan<byte> missing, bool omitted)
    {
        var buffer = _floats[input.Argument]!;
        var width = input.Width;
        var rows = shared ? 1 : RowCount;
        var expected = ValueRows(missing, rows, omitted);
        switch (source.ValuesCase)
        {
            case FeatureColumn.ValuesOneofCase.Floats:
                {
                    var values = source.Floats.Values;
                    RequireCount(source, values.Count, expected, rows);
                    var v = 0;
                    for (var r = 0; r < rows; r++)
                    {
                        var isMissing = FeatureConverter.IsMissing(missing, r);
                        var value = isMissing ? input.Default : values[v];
                        v += isMissing && omitted ? 0 : 1;
                        if (shared)
                        {
                            Broadcast(buffer, width, column, value);
                            return;
                        }

                        buffer[(r * width) + column] = value;
                    }

                    return;
                }

            case FeatureColumn.ValuesOneofCase.Int64S:
                {
                    var values = source.Int64S.Values;
                    RequireCount(source, values.Count, expected, rows);
                    var v = 0;
                    for (var r = 0; r < rows; r++)
                    {
                        var isMissing = FeatureConverter.IsMissing(missing, r);
                        var value = isMissing ? input.Default : values[v];
                        v += isMissing && omitted ? 0 : 1;
                        if (shared)
                        {
                            Broadcast(buffer, width, column, value);
                            return;
                        }

                        buffer[(r * width) + column] = value;
                    }

                    return;
                }

            default:
                throw TypeMismatch(input, source);
        }
    }

    /// <summary>Fills a vector input (see <see cref="FillDense"/> for <paramref name="omitted"/>).</summary>
    public void FillVector(InputLayout input, FeatureColumn source, bool shared, ReadOnlySpan<byte> missing, bool omitted)
    {
        if (source.ValuesCase != FeatureColumn.ValuesOneofCase.FloatVectors)
        {
            throw TypeMismatch(input, source);
        }

        var dim = input.Width;
        var vectors = source.FloatVectors;
        if (vectors.Dim != dim)
        {
            throw new FeatureConversionException(source.Name, $"has dim {vectors.Dim}, {FeatureConverter.Describe(input)} needs dim {dim}");
        }

        var rows = shared ? 1 : RowCount;
        var expected = ValueRows(missing, rows, omitted);
        var values = vectors.Values;
        if (values.Count != (long)expected * dim)
        {
            throw new FeatureConversionException(source.Name, omitted
                ? $"has {values.Count} floats, {expected} present rows of dim {dim} need {(long)expected * dim}"
                : $"has {values.Count} floats, {rows} rows of dim {dim} need {(long)rows * dim}");
        }

        var buffer = _floats[input.Argument]!.AsSpan(0, RowCount * dim);
        if (!shared && missing.IsEmpty)
        {
            values.CopyTo(_floats[input.Argument]!, 0);
            return;
        }

        var start = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = buffer.Slice(r * dim, dim);
            if (FeatureConverter.IsMissing(missing, r))
            {
                row.Fill(input.Default);
                start += omitted ? 0 : dim;
                continue;
            }

            for (var k = 0; k < dim; k++)
            {
                row[k] = values[start + k];
            }

            start += dim;
        }

        if (shared)
        {
            var first = buffer[..dim];
            for (var r = 1; r < RowCount; r++)
            {
                first.CopyTo(buffer.Slice(r * dim, dim));
            }
        }
    }

    /// <summary>Fills an id-list input (see <see cref="FillDense"/> for <paramref name="omitted"/>).</summary>
    public void FillIdList(InputLayout input, FeatureColumn source, bool shared, ReadOnlySpan<byte> missing, bool omitted)
    {
        if (source.ValuesCase != FeatureColumn.ValuesOneofCase.Int64Lists)
        {
            throw TypeMismatch(input, source);
        }

        var lists = source.Int64Lists;
        var rows = shared ? 1 : RowCount;
        var expected = ValueRows(missing, rows, omitted);
        var lengths = lists.Lengths;
        var values = lists.Values;
        if (lengths.Count != expected)
        {
            throw new FeatureConversionException(source.Name, omitted
                ? $"has {lengths.Count} list lengths, {expected} present rows need {expected}"
                : $"has {lengths.Count} list lengths, {rows} rows need {rows}");
        }

        long declared = 0;
        long kept = 0;
        var l = 0;
        for (var r = 0; r < rows; r++)
        {
            if (!FeatureConverter.IsMissing(missing, r))
            {
                declared += lengths[l];
                kept += Math.Min(lengths[l], (uint)input.MaxLength);
                l++;
            }
            else if (!omitted)
            {
                declared += lengths[l++];
            }
        }

        if (declared != values.Count)
        {
            throw new FeatureConversionException(source.Name, $"list lengths add up to {declared} but the column holds {values.Count} ids");
        }

        var total = shared ? kept * RowCount : kept;
        if (total > Array.MaxLength)
        {
            throw new FeatureConversionException(source.Name, $"{total} ids after broadcasting to {RowCount} rows is too many");
        }

        var buffer = Rent(input.Argument, (int)total);
        var offsets = _int64s[input.Argument + 1]!;
        var source0 = 0;
        var written = 0;
        l = 0;
        for (var r = 0; r < rows; r++)
        {
            offsets[r] = written;
            if (FeatureConverter.IsMissing(missing, r))
            {
                source0 += omitted ? 0 : (int)lengths[l++];
                continue;
            }

            var length = (int)lengths[l++];
            var keep = Math.Min(length, input.MaxLength);
            for (var k = 0; k < keep; k++)
            {
                buffer[written + k] = values[source0 + k];
            }

            written += keep;
            source0 += length;
        }

        if (shared)
        {
            var list = buffer.AsSpan(0, written);
            for (var r = 1; r < RowCount; r++)
            {
                offsets[r] = (long)r * written;
                list.CopyTo(buffer.AsSpan(r * written, written));
            }
        }

        _valueCounts[input.Argument] = (int)total;
    }

    /// <summary>Fills the place of a feature the request did not carry (or carried with every row missing).</summary>
    public void FillAbsent(InputLayout input, int column)
    {
        switch (input.Kind)
        {
            case InputKind.Dense:
                Broadcast(_floats[input.Argument]!, input.Width, column, input.Default);
                break;
            case InputKind.Vector:
                _floats[input.Argument].AsSpan(0, RowCount * input.Width).Fill(input.Default);
                break;
            default:
                Rent(input.Argument, 0);
                _int64s[input.Argument + 1].AsSpan(0, RowCount).Clear();
                _valueCounts[input.Argument] = 0;
                break;
        }
    }

    public void MergeMatrix(InputLayout input, IReadOnlyList<ConvertedBatch> batches)
    {
        var buffer = _floats[input.Argument]!.AsSpan();
        var at = 0;
        foreach (var batch in batches)
        {
            var part = batch.Arguments[input.Argument].Floats.Span;
            part.CopyTo(buffer[at..]);
            at += part.Length;
        }
    }

    public void MergeIdList(InputLayout input, IReadOnlyList<ConvertedBatch> batches)
    {
        long total = 0;
        foreach (var batch in batches)
        {
            total += batch.Arguments[input.Argument].Dim0;
        }

        var values = Rent(input.Argument, checked((int)total));
        var offsets = _int64s[input.Argument + 1]!;
        var valuesAt = 0;
        var rowsAt = 0;
        foreach (var batch in batches)
        {
            var part = batch.Arguments[input.Argument].Int64s.Span;
            part.CopyTo(values.AsSpan(valuesAt));
            var partOffsets = batch.Arguments[input.Argument + 1].Int64s.Span;
            for (var r = 0; r < partOffsets.Length; r++)
            {
                offsets[rowsAt + r] = partOffsets[r] + valuesAt;
            }

            valuesAt += part.Length;
            rowsAt += partOffsets.Length;
        }

        _valueCounts[input.Argument] = valuesAt;
    }

    public ConvertedBatch Build(int unused, int missing)
    {
        var arguments = new TensorInput[_floats.Length];
        foreach (var input in _inputs)
        {
            if (input.Kind == InputKind.IdList)
            {
                arguments[input.Argument] = TensorInput.Int64(_int64s[input.Argument]!, _valueCounts[input.Argument]);
                arguments[input.Argument + 1] = TensorInput.Int64(_int64s[input.Argument + 1]!, RowCount);
            }
            else
            {
                arguments[input.Argument] = TensorInput.Float32(_floats[input.Argument]!, RowCount, input.Width);
            }
        }

        return new ConvertedBatch(RowCount, arguments, _floats, _int64s, unused, missing);
    }

    /// <summary>Returns every buffer rented so far (conversion failed).</summary>
    public void Abandon()
    {
        for (var i = 0; i < _floats.Length; i++)
        {
            if (_floats[i] is { } floats)
            {
                ArrayPool<float>.Shared.Return(floats);
                _floats[i] = null;
            }

            if (_int64s[i] is { } int64s)
            {
                ArrayPool<long>.Shared.Return(int64s);
                _int64s[i] = null;
            }
        }
    }

    private long[] Rent(int argument, int length)
    {
        if (_int64s[argument] is { } previous)
        {
            ArrayPool<long>.Shared.Return(previous);
        }

        // At least one element, so the pinned pointer handed to libtorch is never null.
        var buffer = ArrayPool<long>.Shared.Rent(Math.Max(length, 1));
        _int64s[argument] = buffer;
        return buffer;
    }

    private void Broadcast(float[] buffer, int width, int column, float value)
    {
        for (var r = 0; r < RowCount; r++)
        {
            buffer[(r * width) + column] = value;
        }
    }

    private static void RequireCount(FeatureColumn source, int count, int expected, int rows)
    {
        if (count != expected)
        {
            throw new FeatureConversionException(source.Name, expected == rows
                ? $"has {count} values, {rows} rows need {rows}"
                : $"has {count} values, {expected} present rows of {rows} need {expected}");
        }
    }

    /// <summary>How many rows the values hold: every row, or only those not marked missing.</summary>
    private static int ValueRows(ReadOnlySpan<byte> missing, int rows, bool omitted)
    {
        if (!omitted)
        {
            return rows;
        }

        var present = rows;
        for (var r = 0; r < rows; r++)
        {
            present -= FeatureConverter.IsMissing(missing, r) ? 1 : 0;
        }

        return present;
    }

    private static FeatureConversionException TypeMismatch(InputLayout input, FeatureColumn source) =>
        new(source.Name, $"{FeatureConverter.Describe(input)} needs {FeatureConverter.ExpectedColumn(input)}, got {FeatureConverter.ColumnKind(source)}");
}
