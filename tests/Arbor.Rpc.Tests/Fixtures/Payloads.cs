using Arbor.Contracts.V1;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Fixtures;

/// <summary>Realistic leaf requests: per-row floats, int64 ids, 64-d embeddings, id lists.</summary>
public static class Payloads
{
    public static LeafScoreRequest LeafRequest(int rows, string model = "homefeed_ctr", int seed = 1)
    {
        var random = new Random(seed);
        var request = new LeafScoreRequest { Model = model, RowCount = (uint)rows, RequestId = "req-1" };
        request.Columns.Add(FloatColumn("pin_ctr_7d", rows, random));
        request.Columns.Add(FloatColumn("pin_age_days", rows, random));
        var ids = new Int64Column();
        for (var i = 0; i < rows; i++)
        {
            ids.Values.Add(1_000_000_000L + random.Next(0, 5000));
        }

        request.Columns.Add(new FeatureColumn { Name = "pin_id", Int64S = ids });
        var embeddings = new FloatVectorColumn { Dim = 64 };
        for (var i = 0; i < rows * 64; i++)
        {
            embeddings.Values.Add(MathF.Round((float)(random.NextDouble() - 0.5), 3));
        }

        request.Columns.Add(new FeatureColumn { Name = "pin_embedding_v3", FloatVectors = embeddings });
        request.SharedColumns.Add(new FeatureColumn { Name = "user_age_days", Floats = new FloatColumn { Values = { 412f } } });
        return request;
    }

    /// <summary>The serialized bytes of a request, assembled from separately encoded parts.</summary>
    public static byte[] AssembleFromParts(LeafScoreRequest request)
    {
        // Field 4 (columns) and 5 (shared_columns) are length-delimited; encoding each column on
        // its own and concatenating is a valid encoding of the whole message.
        using var stream = new MemoryStream();
        var head = new LeafScoreRequest { Model = request.Model, Version = request.Version, RowCount = request.RowCount, RequestId = request.RequestId };
        head.WriteTo(stream);
        foreach (var column in request.Columns)
        {
            WriteField(stream, 4, column.ToByteArray());
        }

        foreach (var column in request.SharedColumns)
        {
            WriteField(stream, 5, column.ToByteArray());
        }

        return stream.ToArray();
    }

    private static void WriteField(MemoryStream stream, int field, byte[] bytes)
    {
        var output = new CodedOutputStream(stream, leaveOpen: true);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(bytes));
        output.Flush();
    }

    private static FeatureColumn FloatColumn(string name, int rows, Random random)
    {
        var values = new FloatColumn();
        for (var i = 0; i < rows; i++)
        {
            values.Values.Add(MathF.Round((float)random.NextDouble(), 4));
        }

        return new FeatureColumn { Name = name, Floats = values };
    }
}
