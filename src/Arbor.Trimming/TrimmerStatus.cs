using Arbor.Trimming.Bundles;
using Arbor.Trimming.Verification;

namespace Arbor.Trimming;

/// <summary>What the admin endpoint shows: the published snapshot and every configured bundle.</summary>
/// <param name="Generation">The published snapshot's generation.</param>
/// <param name="SnapshotBuiltAt">When it was built.</param>
/// <param name="Models">How many models it has allowlists for.</param>
/// <param name="Bundles">Every configured bundle, in configuration order.</param>
/// <param name="Gaps">Allowlists leaves refused (trim gaps), stale while refused after the snapshot was built.</param>
/// <param name="Shadow">Shadow verification per model version: trimmed calls compared bit for bit with untrimmed twins.</param>
public sealed record TrimmerStatus(long Generation, DateTimeOffset SnapshotBuiltAt, int Models, IReadOnlyList<BundleStatus> Bundles, IReadOnlyList<TrimGapStatus> Gaps, IReadOnlyList<ShadowStatus> Shadow);
