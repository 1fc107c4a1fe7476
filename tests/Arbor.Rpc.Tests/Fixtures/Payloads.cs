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

    /// <summary>
    /// The serialized request as separately encoded parts: the scalar fields, then each column as
    /// its own length-delimited field. Their concatenation is a valid encoding of the whole message
    /// but not the canonical one (request_id comes before the columns), so a server that received
    /// exactly these bytes can be told from one that got a re-serialized message.
    /// </summary>
    public static IReadOnlyList<byte[]> Parts(LeafScoreRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var head = new LeafScoreRequest { Model = request.Model, Version = request.Version, RowCount = request.RowCount, RequestId = request.RequestId };
        var parts = new List<byte[]> { head.ToByteArray() };
        foreach (var column in request.Columns)
        {
            parts.Add(Field(4, column.ToByteArray()));
        }

        foreach (var column in request.SharedColumns)
        {
            parts.Add(Field(5, column.ToByteArray()));
        }

        return parts;
    }

    private static byte[] Field(int field, byte[] bytes)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream, leaveOpen: true);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(bytes));
        output.Flush();
        return stream.ToArray();
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
