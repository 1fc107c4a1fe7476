using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Signatures.Signatures;
using Google.Protobuf;

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>A sample model's golden.json: rows of post-transform feature values and Python's scores.</summary>
public sealed class GoldenFile
{
    private readonly List<Dictionary<string, JsonElement>> _rows;

    private GoldenFile(List<Dictionary<string, JsonElement>> rows, float[] scores, int outputs)
    {
        _rows = rows;
        Scores = scores;
        Outputs = outputs;
    }

    public float[] Scores { get; }

    public int Outputs { get; }

    public int Rows => _rows.Count;

    public static GoldenFile Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var rows = root.GetProperty("rows").EnumerateArray()
            .Select(row => row.GetProperty("features").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()))
            .ToList();
        var scores = root.GetProperty("scores").EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => (float)v.GetDouble()))
            .ToArray();
        return new GoldenFile(rows, scores, root.GetProperty("outputs").GetArrayLength());
    }

    /// <summary>
    /// The golden rows as one columnar request: one column per signature feature, absent values
    /// marked missing (with placeholders), plus <paramref name="extraColumns"/> unused ones.
    /// </summary>
    public LeafScoreRequest ToRequest(ModuleInfo signature, string model, string version, int extraColumns = 0)
    {
        var request = new LeafScoreRequest { Model = model, Version = version, RowCount = (uint)Rows };
        foreach (var input in signature.Inputs)
        {
            foreach (var feature in input.Features)
            {
                request.Columns.Add(Column(input, feature));
            }
        }

        for (var i = 0; i < extraColumns; i++)
        {
            var column = new FeatureColumn { Name = $"unused_feature_{i}", Floats = new FloatColumn() };
            column.Floats.Values.AddRange(Enumerable.Repeat(1f, Rows));
            request.Columns.Add(column);
        }

        return request;
    }

    private FeatureColumn Column(ModelInput input, string feature)
    {
        var column = new FeatureColumn { Name = feature };
        var missing = new byte[(Rows + 7) / 8];
        var anyMissing = false;
        switch (input.Kind)
        {
            case InputKind.Dense:
                column.Floats = new FloatColumn();
                break;
            case InputKind.Vector:
                column.FloatVectors = new FloatVectorColumn { Dim = (uint)input.Dim!.Value };
                break;
            default:
                column.Int64Lists = new Int64ListColumn();
                break;
        }

        for (var r = 0; r < Rows; r++)
        {
            var present = _rows[r].TryGetValue(feature, out var value) && value.ValueKind != JsonValueKind.Null;
            if (!present)
            {
                missing[r / 8] |= (byte)(1 << (r % 8));
                anyMissing = true;
            }

            switch (input.Kind)
            {
                case InputKind.Dense:
                    column.Floats.Values.Add(present ? (float)value.GetDouble() : 0f);
                    break;
                case InputKind.Vector:
                    if (present)
                    {
                        column.FloatVectors.Values.AddRange(value.EnumerateArray().Select(x => (float)x.GetDouble()));
                    }
                    else
                    {
                        column.FloatVectors.Values.AddRange(new float[input.Dim!.Value]);
                    }

                    break;
                default:
                    var ids = present ? value.EnumerateArray().Select(x => x.GetInt64()).ToArray() : [];
                    column.Int64Lists.Lengths.Add((uint)ids.Length);
                    column.Int64Lists.Values.AddRange(ids);
                    break;
            }
        }

        if (anyMissing)
        {
            column.Missing = ByteString.CopyFrom(missing);
        }

        return column;
    }
}
