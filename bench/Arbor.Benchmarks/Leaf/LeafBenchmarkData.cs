using System.Diagnostics;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Signatures.Signatures;
using Google.Protobuf;

namespace Arbor.Benchmarks.Leaf;

/// <summary>Leaf requests built from the sample models' golden rows (models/generate.sh), cycled to any batch size.</summary>
internal static class LeafBenchmarkData
{
    /// <summary>One version of each sample model (the newest).</summary>
    public static readonly string[] SampleModels =
        ["homefeed_ctr/3", "homefeed_ctr_exp_a/1", "homefeed_ctr_exp_b/2", "related_mt/3", "related_mt_exp_a/2"];

    public static string Repository { get; } = EnsureRepository();

    public static string Archive(string modelVersion) => Path.Combine(Repository, modelVersion, "model.pt");

    /// <summary>A request of <paramref name="rows"/> rows (golden rows cycled), one column per signature feature.</summary>
    public static LeafScoreRequest Request(string modelVersion, ModuleInfo signature, int rows)
    {
        using var golden = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Repository, modelVersion, "golden.json")));
        var source = golden.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("features").Clone()).ToArray();
        var request = new LeafScoreRequest { Model = signature.Model, Version = signature.Version, RowCount = (uint)rows };
        foreach (var input in signature.Inputs)
        {
            foreach (var feature in input.Features)
            {
                request.Columns.Add(Column(input, feature, Enumerable.Range(0, rows).Select(r => source[r % source.Length]).ToArray()));
            }
        }

        return request;
    }

    private static FeatureColumn Column(ModelInput input, string feature, JsonElement[] rows)
    {
        var column = new FeatureColumn { Name = feature };
        var missing = new byte[(rows.Length + 7) / 8];
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

        for (var r = 0; r < rows.Length; r++)
        {
            var present = rows[r].TryGetProperty(feature, out var value) && value.ValueKind != JsonValueKind.Null;
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
                    column.FloatVectors.Values.AddRange(present ? value.EnumerateArray().Select(x => (float)x.GetDouble()) : new float[input.Dim!.Value]);
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

    private static string EnsureRepository()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Arbor.slnx")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException("Arbor.slnx not found above the benchmark");
        }

        var repository = Path.Combine(root.FullName, "models", "repo");
        using var generate = Process.Start("bash", [Path.Combine(root.FullName, "models", "generate.sh"), repository]);
        generate.WaitForExit();
        if (generate.ExitCode != 0)
        {
            throw new InvalidOperationException("models/generate.sh failed");
        }

        return repository;
    }
}
