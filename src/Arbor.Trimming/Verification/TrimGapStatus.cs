namespace Arbor.Trimming.Verification;

/// <summary>
/// An allowlist a leaf refused: the version it served uses features the allowlist lacks. The calls
/// were sent again untrimmed (bytes, not scores, paid for the gap).
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="AllowlistVersion">The version whose allowlist the refused calls were trimmed to.</param>
/// <param name="AllowlistSha256">That allowlist's hash.</param>
/// <param name="Refusals">Calls refused since the root started.</param>
/// <param name="FirstSeen">The first refusal.</param>
/// <param name="LastSeen">The latest refusal.</param>
/// <param name="LastDetail">The leaf's latest message: the version it served and the features it lacked.</param>
/// <param name="Stale">True while the refusals are newer than the published snapshot: the allowlists lag the leaves.</param>
public sealed record TrimGapStatus(
    string Model,
    string AllowlistVersion,
    string AllowlistSha256,
    long Refusals,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string LastDetail,
    bool Stale);
