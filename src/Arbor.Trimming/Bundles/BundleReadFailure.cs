namespace Arbor.Trimming.Bundles;

/// <summary>Why reading a bundle file failed (the <c>reason</c> tag of reload failures).</summary>
public enum BundleReadFailure
{
    /// <summary>The file does not exist.</summary>
    Missing,

    /// <summary>The file exists but could not be read.</summary>
    Unreadable,

    /// <summary>The file changed between two reads (a write in progress).</summary>
    Unstable,

    /// <summary>The content is not a valid <c>arbor.bundle/v1</c> document.</summary>
    Invalid,
}
