using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace Arbor.Release.Tests.Fixtures;

/// <summary>
/// A source model repository made of small zip archives shaped like TorchScript files (the
/// signature at <c>model/extra/module_info.json</c>), a feature registry and a partition manifest:
/// partition homefeed = ctr, exp; partition related = rel.
/// </summary>
internal sealed class TestModelRepository
{
    public TestModelRepository(string path, int registryFeatures = 100)
    {
        Path = path;
        Directory.CreateDirectory(path);
        var registry = new
        {
            schema = "arbor.feature_registry/v1",
            features = Enumerable.Range(0, registryFeatures).Select(i => new { name = Feature(i), type = "float", entity = "candidate" }).ToArray(),
        };
        File.WriteAllText(System.IO.Path.Combine(path, "feature_registry.json"), JsonSerializer.Serialize(registry));
        File.WriteAllText(System.IO.Path.Combine(path, "partitions.json"), """
            {"schema": "arbor.partitions/v1", "partitions": {
              "homefeed": {"production": "ctr", "models": ["ctr", "exp"]},
              "related": {"production": "rel", "models": ["rel"]}}}
            """);
    }

    public string Path { get; }

    public static string Feature(int i) => string.Create(CultureInfo.InvariantCulture, $"f{i:000}");

    public static IReadOnlyList<string> Features(int from, int count) => [.. Enumerable.Range(from, count).Select(Feature)];

    /// <summary>Writes <c>&lt;model&gt;/&lt;version&gt;/model.pt</c> with a signature over <paramref name="features"/>.</summary>
    public string AddVersion(string model, string version, IReadOnlyList<string> features, int payloadBytes = 4096)
    {
        var folder = System.IO.Path.Combine(Path, model, version);
        Directory.CreateDirectory(folder);
        WriteArchive(System.IO.Path.Combine(folder, "model.pt"), Signature(model, version, features), payloadBytes);
        return folder;
    }

    public static string Signature(string model, string version, IReadOnlyList<string> features) => JsonSerializer.Serialize(new
    {
        schema = "arbor.module_info/v1",
        model,
        version,
        inputs = new[] { new { name = "dense", kind = "dense", dtype = "float32", features } },
        outputs = new[] { new { name = "p" } },
    });

    public static void WriteArchive(string path, string signatureJson, int payloadBytes)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        using (var data = zip.CreateEntry("model/data.pkl", CompressionLevel.NoCompression).Open())
        {
            var payload = new byte[payloadBytes];
            new Random(payloadBytes).NextBytes(payload);
            data.Write(payload);
        }

        using var signature = new StreamWriter(zip.CreateEntry("model/extra/module_info.json", CompressionLevel.NoCompression).Open());
        signature.Write(signatureJson);
    }
}
