namespace Arbor.Trimming.Verification;

/// <summary>
/// Shadow verification of one model version: sampled trimmed calls sent again as a trimmed and an
/// untrimmed call, each in a forward of its own, and their scores compared bit for bit.
/// </summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version that served the sampled calls.</param>
/// <param name="Samples">Pairs sent (matches, mismatches and failures).</param>
/// <param name="Matches">Pairs whose scores had the same bits.</param>
/// <param name="Mismatches">Pairs whose scores differed: the allowlist drops a feature this version reads.</param>
/// <param name="Failed">Pairs with a failed call or two different versions (not compared).</param>
/// <param name="Dropped">Samples not sent because the bound on pairs in flight was reached.</param>
/// <param name="LastMismatchRequestId">The request id of the latest mismatch; null without one.</param>
/// <param name="LastMismatchAt">When the latest mismatch was found.</param>
/// <param name="MaxAbsDiff">The largest |trimmed − untrimmed| score seen in a mismatch (0 without one).</param>
public sealed record ShadowStatus(
    string Model,
    string Version,
    long Samples,
    long Matches,
    long Mismatches,
    long Failed,
    long Dropped,
    string? LastMismatchRequestId,
    DateTimeOffset? LastMismatchAt,
    double MaxAbsDiff);
