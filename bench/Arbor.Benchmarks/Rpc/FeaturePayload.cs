using Arbor.Contracts.V1;
using Google.Protobuf;

namespace Arbor.Benchmarks.Rpc;

/// <summary>
/// A realistic root→leaf request built from FeatureColumn messages. Per row: 16 dense floats
/// (8 rates in [0, 1), 8 engagement counts, a third of them zero), 3 int64 ids drawn from
/// catalogues, an id list of 5–15 interests, and a 64-d float embedding at full precision (the
/// part that hardly compresses); plus two request-level features.
/// </summary>
public static class FeaturePayload
{
    /// <summary>Serialized bytes per row, roughly (used to size a request).</summary>
    public const int ApproximateBytesPerRow = 430;

    public static LeafScoreRequest Create(int rows, int seed = 20260501)
    {
        var random = new Random(seed);
        var request = new LeafScoreRequest { Model = "homefeed_ctr", Version = "7", RowCount = (uint)rows, RequestId = "bench" };
        for (var f = 0; f < 8; f++)
        {
            request.Columns.Add(Rates($"pin_rate_{f}", rows, random));
            request.Columns.Add(Counts($"pin_count_{f}", rows, random));
        }

        request.Columns.Add(Ids("pin_id", 7_000_000_000L, 2_000_000, rows, random));
        request.Columns.Add(Ids("pin_board_id", 9_100_000_000L, 500_000, rows, random));
        request.Columns.Add(Ids("pin_creator_id", 1_300_000_000L, 100_000, rows, random));
        var interests = new Int64ListColumn();
        for (var i = 0; i < rows; i++)
        {
            var length = random.Next(5, 16);
            interests.Lengths.Add((uint)length);
            for (var k = 0; k < length; k++)
            {
                interests.Values.Add(random.Next(0, 10_000));
            }
        }

        request.Columns.Add(new FeatureColumn { Name = "pin_interest_ids", Int64Lists = interests });
        var embeddings = new FloatVectorColumn { Dim = 64 };
        for (var i = 0; i < rows * 64; i++)
        {
            // Embeddings as models produce them: normal-ish values, full float precision.
            embeddings.Values.Add((float)((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 0.4));
        }

        request.Columns.Add(new FeatureColumn { Name = "pin_embedding_v3", FloatVectors = embeddings });
        request.SharedColumns.Add(new FeatureColumn { Name = "user_age_days", Floats = new FloatColumn { Values = { 412f } } });
        request.SharedColumns.Add(new FeatureColumn { Name = "user_country", Strings = new StringColumn { Values = { "FR" } } });
        return request;
    }

    /// <summary>A request of about <paramref name="bytes"/> serialized bytes.</summary>
    public static LeafScoreRequest OfSize(int bytes)
    {
        var rows = Math.Max(1, bytes / ApproximateBytesPerRow);
        var request = Create(rows);
        while (request.CalculateSize() > bytes && rows > 1)
        {
            request = Create(--rows);
        }

        return request;
    }

    private static FeatureColumn Rates(string name, int rows, Random random)
    {
        var values = new FloatColumn();
        for (var i = 0; i < rows; i++)
        {
            values.Values.Add(random.Next(3) == 0 ? 0f : random.NextSingle() * 0.2f);
        }

        return new FeatureColumn { Name = name, Floats = values };
    }

    private static FeatureColumn Counts(string name, int rows, Random random)
    {
        var values = new FloatColumn();
        for (var i = 0; i < rows; i++)
        {
            values.Values.Add(random.Next(3) == 0 ? 0f : MathF.Floor(MathF.Exp(random.NextSingle() * 8)));
        }

        return new FeatureColumn { Name = name, Floats = values };
    }

    private static FeatureColumn Ids(string name, long start, int range, int rows, Random random)
    {
        var ids = new Int64Column();
        for (var i = 0; i < rows; i++)
        {
            ids.Values.Add(start + random.Next(0, range));
        }

        return new FeatureColumn { Name = name, Int64S = ids };
    }
}
