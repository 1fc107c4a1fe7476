using System.Security.Cryptography;
using System.Text;
using Arbor.Signatures.Bundles;

namespace Arbor.Trimming.Tests.Support;

/// <summary>Writes bundle mapping files in the canonical form the deploy step produces.</summary>
public static class BundleFiles
{
    /// <summary>A bundle document: models given as (model, latest, versions as (version, features)).</summary>
    public static BundleDocument Document(string bundle, params (string Model, string Latest, (string Version, string[] Features)[] Versions)[] models) =>
        new(
            BundleDocument.SchemaV1,
            bundle,
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            models.ToDictionary(
                m => m.Model,
                m => new BundleModel(m.Latest, m.Versions.ToDictionary(
                    v => v.Version,
                    v => new BundleModelVersion(v.Features, Sha256($"{m.Model}/{v.Version}/{string.Join(',', v.Features)}")),
                    StringComparer.Ordinal)),
                StringComparer.Ordinal));

    /// <summary>One model with one version.</summary>
    public static BundleDocument Single(string bundle, string model, string version, params string[] features) =>
        Document(bundle, (model, version, [(version, features)]));

    public static byte[] Bytes(BundleDocument document) => BundleJson.ToUtf8Bytes(document);

    public static void Write(string path, BundleDocument document) => File.WriteAllBytes(path, Bytes(document));

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
