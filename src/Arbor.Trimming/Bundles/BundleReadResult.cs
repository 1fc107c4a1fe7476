namespace Arbor.Trimming.Bundles;

/// <summary>The bytes of a bundle file read consistently, or why they could not be.</summary>
internal readonly record struct BundleReadResult(byte[]? Content, string? ContentHash, BundleReadFailure? Failure, string? Error)
{
    public static BundleReadResult Success(byte[] content, string hash) => new(content, hash, null, null);

    public static BundleReadResult Failed(BundleReadFailure failure, string error) => new(null, null, failure, error);
}
