namespace Arbor.Release.Verification;

/// <summary>What verification found.</summary>
public enum FindingKind
{
    /// <summary>A root or leaf did not answer.</summary>
    Unreachable,

    /// <summary>A leaf serves a version (AVAILABLE) for which a root has no allowlist: the trimming gap.</summary>
    MissingAllowlist,

    /// <summary>A root's allowlist for a version comes from another signature than the one the leaf loaded.</summary>
    SignatureMismatch,

    /// <summary>A leaf's default version is not the root's latest: requests naming no version are trimmed for another version.</summary>
    DefaultVersionMismatch,

    /// <summary>A root's bundle is not active (stale, failed or never loaded).</summary>
    BundleNotActive,

    /// <summary>A leaf failed to load a version.</summary>
    VersionFailed,
}
