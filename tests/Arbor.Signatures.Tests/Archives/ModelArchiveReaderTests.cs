using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Signatures;
using Arbor.Testing;

namespace Arbor.Signatures.Tests.Archives;

public sealed class ModelArchiveReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("model/extra/module_info.json")]
    [InlineData("archive/extra/module_info.json")]
    public void Read_TorchScriptLayout_ReturnsSignatureAndItsHash(string entryName)
    {
        var path = Write("model.pt", ZipBuilder.Model(entryName));

        var signature = ModelArchiveReader.Read(path);

        Assert.Equal("m", signature.Info.Model);
        Assert.Equal(["a", "b"], signature.Info.Features);
        Assert.Equal(entryName, signature.EntryName);
        Assert.Equal(ZipBuilder.SignatureJson, Encoding.UTF8.GetString(signature.Json.Span));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ZipBuilder.SignatureJson))), signature.Sha256);
    }

    [Fact]
    public void Read_MissingFile_SaysFileNotFound()
    {
        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(_temp.Combine("absent.pt")));

        Assert.Contains("file not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotAZip_SaysNotAZipArchive()
    {
        var path = Write("model.pt", "just text, no zip here"u8.ToArray());

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("not a zip archive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EmptyFile_SaysNotAZipArchive()
    {
        var path = Write("model.pt", []);

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("not a zip archive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TruncatedZip_SaysNotAZipOrTruncated()
    {
        var bytes = ZipBuilder.Model();
        var path = Write("model.pt", bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NoSignatureEntry_SaysNoSignatureEntry()
    {
        var path = Write("model.pt", ZipBuilder.Create(("model/data.pkl", [1], CompressionLevel.NoCompression)));

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("no signature entry", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/extra/module_info.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TwoSignatureEntries_SaysAmbiguous()
    {
        var json = Encoding.UTF8.GetBytes(ZipBuilder.SignatureJson);
        var path = Write("model.pt", ZipBuilder.Create(
            ("a/extra/module_info.json", json, CompressionLevel.NoCompression),
            ("b/extra/module_info.json", json, CompressionLevel.NoCompression)));

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("ambiguous signature: 2 entries", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../extra/module_info.json", "path traversal")]
    [InlineData("model/../../extra/module_info.json", "path traversal")]
    [InlineData("/extra/module_info.json", "absolute path")]
    [InlineData("/tmp/extra/module_info.json", "absolute path")]
    [InlineData("C:/extra/module_info.json", "drive-letter path")]
    [InlineData("a\\b/extra/module_info.json", "backslash")]
    [InlineData("model/inner/extra/module_info.json", "nested below the archive's top-level folder")]
    public void Read_PathTrickEntryName_SaysSuspiciousEntryName(string entryName, string reason)
    {
        var path = Write("model.pt", ZipBuilder.Model(entryName));

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("suspicious entry name", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EntryOverOneMebibyte_SaysEntryTooLarge()
    {
        var big = Encoding.UTF8.GetBytes(ZipBuilder.SignatureJson + new string(' ', ModelArchiveReader.MaxSignatureBytes));
        var path = Write("model.pt", ZipBuilder.Create(("model/extra/module_info.json", big, CompressionLevel.NoCompression)));

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("entry too large", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1 MiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HighlyCompressedEntry_SaysPossibleZipBomb()
    {
        var padded = Encoding.UTF8.GetBytes(ZipBuilder.SignatureJson + new string(' ', 900_000));
        var path = Write("model.pt", ZipBuilder.Create(("model/extra/module_info.json", padded, CompressionLevel.SmallestSize)));

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("possible zip bomb: compression ratio", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EntryLargerThanItsHeaderDeclares_ReadsNoMoreThanDeclared()
    {
        var json = Encoding.UTF8.GetBytes(ZipBuilder.SignatureJson);
        var bytes = ZipBuilder.Create(("model/extra/module_info.json", json, CompressionLevel.Optimal));
        // Understate the uncompressed size in the central directory (the header the reader trusts).
        var central = FindSignature(bytes, 0x02014b50);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), 10);
        var path = Write("model.pt", bytes);

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        // Either the size check fires or only the 10 declared bytes are read (then the JSON is cut short).
        Assert.Contains(ex.Problems, p =>
            p.Message.Contains("more than its declared 10 bytes", StringComparison.Ordinal)
            || p.Message.Contains("cannot be decompressed", StringComparison.Ordinal)
            || (p.Path == "$" && p.Message.Contains("not valid JSON (line 1, byte 11)", StringComparison.Ordinal)));
    }

    [Fact]
    public void Read_InvalidSignatureJson_NamesTheEntryAndTheJsonPath()
    {
        var path = Write("model.pt", ZipBuilder.Model(json: ZipBuilder.SignatureJson.Replace("\"dense\", \"dtype\"", "\"sparse\", \"dtype\"", StringComparison.Ordinal)));

        var ex = Assert.Throws<SignatureException>(() => ModelArchiveReader.Read(path));

        Assert.Contains("model/extra/module_info.json in model archive", ex.Message, StringComparison.Ordinal);
        Assert.Contains("$.inputs[0].kind: unknown kind 'sparse'", ex.Message, StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = _temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static int FindSignature(byte[] bytes, uint signature)
    {
        for (var i = 0; i + 4 <= bytes.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) == signature)
            {
                return i;
            }
        }

        throw new InvalidOperationException("zip record not found");
    }
}
