using System.Text.Json.Nodes;
using Arbor.Contracts.V1;
using Google.Protobuf;

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>
/// Rows of feature values for the ctr test model, as both Python (make_models.py) and the leaf
/// consume them: each feature is per-row or shared, with some rows missing.
/// </summary>
public sealed record ScoringCase(int Rows, IReadOnlyList<CaseFeature> Features)
{
    public JsonObject ToJson()
    {
        var features = new JsonObject();
        foreach (var feature in Features)
        {
            features[feature.Name] = new JsonObject
            {
                ["values"] = new JsonArray(feature.Values.Select(v => v switch
                {
                    float f => (JsonNode)JsonValue.Create(f),
                    float[] vector => new JsonArray(vector.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                    long[] ids => new JsonArray(ids.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                    _ => throw new InvalidOperationException(),
                }).ToArray()),
                ["missing"] = new JsonArray(feature.MissingRows.Select(r => (JsonNode)JsonValue.Create(r)).ToArray()),
                ["shared"] = feature.Shared,
            };
        }

        return new JsonObject { ["rows"] = Rows, ["features"] = features };
    }

    /// <summary>The same rows as a leaf request (columnar; placeholders in missing rows).</summary>
    public LeafScoreRequest ToRequest(string model, string version = "")
    {
        var request = new LeafScoreRequest { Model = model, Version = version, RowCount = (uint)Rows };
        foreach (var feature in Features)
        {
            (feature.Shared ? request.SharedColumns : request.Columns).Add(feature.ToColumn());
        }

        return request;
    }
}

/// <summary>One feature of a <see cref="ScoringCase"/>: a float, float[] or long[] per row (one when shared).</summary>
public sealed record CaseFeature(string Name, IReadOnlyList<object> Values, IReadOnlyList<int> MissingRows, bool Shared = false)
{
    public FeatureColumn ToColumn()
    {
        var column = new FeatureColumn { Name = Name };
        if (MissingRows.Count > 0)
        {
            var bitmap = new byte[(Values.Count + 7) / 8];
            foreach (var row in MissingRows)
            {
                bitmap[row / 8] |= (byte)(1 << (row % 8));
            }

            column.Missing = ByteString.CopyFrom(bitmap);
        }

        switch (Values[0])
        {
            case float:
                column.Floats = new FloatColumn();
                column.Floats.Values.AddRange(Values.Cast<float>());
                break;
            case float[] first:
                column.FloatVectors = new FloatVectorColumn { Dim = (uint)first.Length };
                column.FloatVectors.Values.AddRange(Values.Cast<float[]>().SelectMany(v => v));
                break;
            default:
                column.Int64Lists = new Int64ListColumn();
                column.Int64Lists.Lengths.AddRange(Values.Cast<long[]>().Select(v => (uint)v.Length));
                column.Int64Lists.Values.AddRange(Values.Cast<long[]>().SelectMany(v => v));
                break;
        }

        return column;
    }
}
