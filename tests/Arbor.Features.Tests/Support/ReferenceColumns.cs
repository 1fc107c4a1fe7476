using Arbor.Contracts.V1;
using Arbor.Features.Batches;
using Google.Protobuf;

namespace Arbor.Features.Tests.Support;

/// <summary>
/// Builds the generated protobuf messages for a batch, value by value: an implementation independent
/// of the encoders under test, to compare their bytes and parsed results against.
/// </summary>
public static class ReferenceColumns
{
    /// <summary>The request the generated classes serialize for the given rows and columns.</summary>
    public static LeafScoreRequest Request(
        string model, string? version, string? requestId, FeatureBatch batch, IReadOnlyList<int> rows, Func<string, bool> keep)
    {
        var request = new LeafScoreRequest { Model = model, Version = version ?? string.Empty, RowCount = (uint)rows.Count, RequestId = requestId ?? string.Empty };
        foreach (var column in batch.Columns.Where(c => keep(c.Name)))
        {
            request.Columns.Add(Column(column, rows));
        }

        foreach (var column in batch.SharedColumns.Where(c => keep(c.Name)))
        {
            request.SharedColumns.Add(Column(column, [0]));
        }

        return request;
    }

    public static IReadOnlyList<int> AllRows(FeatureBatch batch) => [.. Enumerable.Range(0, batch.RowCount)];

    /// <summary>
    /// The generated FeatureColumn of <paramref name="column"/> restricted to <paramref name="rows"/>:
    /// the missing bitmap over those rows and the values of the rows that have one.
    /// </summary>
    public static FeatureColumn Column(BatchColumn column, IReadOnlyList<int> rows)
    {
        var message = new FeatureColumn { Name = column.Name };
        if (rows.Any(column.IsMissing))
        {
            var bitmap = MissingBitmap.Create(rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                if (column.IsMissing(rows[i]))
                {
                    MissingBitmap.Set(bitmap, i);
                }
            }

            message.Missing = ByteString.CopyFrom(bitmap);
            // Missing rows carry no placeholder value: only the present rows follow.
            message.MissingOmitted = true;
            rows = [.. rows.Where(row => !column.IsMissing(row))];
        }

        switch (column)
        {
            case FloatBatchColumn floats:
                message.Floats = new FloatColumn();
                foreach (var row in rows)
                {
                    message.Floats.Values.Add(floats.Values[row]);
                }

                break;
            case Int64BatchColumn longs:
                message.Int64S = new Int64Column();
                foreach (var row in rows)
                {
                    message.Int64S.Values.Add(longs.Values[row]);
                }

                break;
            case FloatVectorBatchColumn vectors:
                message.FloatVectors = new FloatVectorColumn { Dim = (uint)vectors.Dimension };
                foreach (var row in rows)
                {
                    message.FloatVectors.Values.Add(vectors.Row(row).ToArray());
                }

                break;
            case Int64ListBatchColumn lists:
                message.Int64Lists = new Int64ListColumn();
                foreach (var row in rows)
                {
                    message.Int64Lists.Lengths.Add((uint)lists.Lengths[row]);
                    message.Int64Lists.Values.Add(lists.Row(row).ToArray());
                }

                break;
            case StringBatchColumn strings:
                message.Strings = new StringColumn();
                foreach (var row in rows)
                {
                    message.Strings.Values.Add(strings.Values[row]);
                }

                break;
            case BytesBatchColumn bytes:
                message.BytesValues = new BytesColumn();
                foreach (var row in rows)
                {
                    message.BytesValues.Values.Add(ByteString.CopyFrom(bytes.Values[row].Span));
                }

                break;
            default:
                throw new NotSupportedException(column.GetType().Name);
        }

        return message;
    }
}
