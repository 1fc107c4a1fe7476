namespace Arbor.Signatures.Bundles;

/// <summary>
/// A bundle mapping file (<c>arbor.bundle/v1</c>): the allowlists of the model versions of one bundle,
/// deployed to roots beside their configuration.
/// </summary>
public sealed record BundleDocument(
    string Schema,
    string Bundle,
    DateTimeOffset GeneratedAt,
    IReadOnlyDictionary<string, BundleModel> Models)
{
    public const string SchemaV1 = "arbor.bundle/v1";
}

/// <summary>The versions of one model in a bundle.</summary>
/// <param name="Latest">The version used when a request names none (or names an unknown one).</param>
public sealed record BundleModel(string Latest, IReadOnlyDictionary<string, BundleModelVersion> Versions);

/// <summary>One model version's allowlist and the hash of the signature it came from.</summary>
public sealed record BundleModelVersion(IReadOnlyList<string> Features, string SignatureSha256);
