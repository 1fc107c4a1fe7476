using System.IO.Compression;
using System.Text;

namespace Arbor.Signatures.Tests.Archives;

/// <summary>Writes small zip archives shaped like (or deliberately unlike) TorchScript files.</summary>
internal static class ZipBuilder
{
    public const string SignatureJson = """
        {"schema": "arbor.module_info/v1", "model": "m", "version": "1",
         "inputs": [{"name": "dense", "kind": "dense", "dtype": "float32", "features": ["a", "b"]}],
         "outputs": [{"name": "p"}]}
        """;

    public static byte[] Create(params (string Name, byte[] Content, CompressionLevel Level)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content, level) in entries)
            {
                var entry = zip.CreateEntry(name, level);
                using var stream = entry.Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    public static byte[] Model(string signatureEntry = "model/extra/module_info.json", string json = SignatureJson) =>
        Create(
            ("model/data.pkl", [1, 2, 3, 4], CompressionLevel.NoCompression),
            (signatureEntry, Encoding.UTF8.GetBytes(json), CompressionLevel.NoCompression),
            ("model/version", "3\n"u8.ToArray(), CompressionLevel.NoCompression));
}
