namespace Arbor.Trimming.Bundles;

/// <summary>What the admin endpoint and health checks show of one configured bundle.</summary>
/// <param name="Id">Stable name of the configured source (the file name without extension); the <c>bundle</c> metric tag.</param>
/// <param name="Path">The configured path.</param>
/// <param name="ResolvedPath">The path after resolving symbolic links (what was last read).</param>
/// <param name="Bundle">The bundle name in the active map's file; null before a first load.</param>
/// <param name="State">Where the bundle stands.</param>
/// <param name="ContentHash">SHA-256 of the active map's file; null before a first load.</param>
/// <param name="GeneratedAt">The active file's <c>generated_at</c>.</param>
/// <param name="LastSuccessfulLoad">When the active map was loaded.</param>
/// <param name="LastAttempt">When the file was last read.</param>
/// <param name="LastError">Why the last failed read failed; null once a read succeeds.</param>
/// <param name="LastErrorAt">When that read failed.</param>
/// <param name="StalenessSeconds">How long the active map has lagged the file (0 while active).</param>
/// <param name="Watching">Whether a file watcher is armed (the periodic rescan runs either way).</param>
/// <param name="Models">The active map's models, versions and allowlist sizes.</param>
public sealed record BundleStatus(
    string Id,
    string Path,
    string ResolvedPath,
    string? Bundle,
    BundleState State,
    string? ContentHash,
    DateTimeOffset? GeneratedAt,
    DateTimeOffset? LastSuccessfulLoad,
    DateTimeOffset? LastAttempt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    double StalenessSeconds,
    bool Watching,
    IReadOnlyList<ModelStatus> Models);

/// <summary>One model of a bundle.</summary>
/// <param name="Model">The model name.</param>
/// <param name="Latest">Its latest version.</param>
/// <param name="Versions">Each version's allowlist size.</param>
/// <param name="Shadowed">True when an earlier-listed bundle also has this model (its allowlists win).</param>
public sealed record ModelStatus(string Model, string Latest, IReadOnlyList<VersionStatus> Versions, bool Shadowed);

/// <summary>One model version's allowlist.</summary>
/// <param name="Version">The version.</param>
/// <param name="Features">The number of features in its allowlist.</param>
/// <param name="SignatureSha256">The signature the allowlist came from.</param>
public sealed record VersionStatus(string Version, int Features, string SignatureSha256);
