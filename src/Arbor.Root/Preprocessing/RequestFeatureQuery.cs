using Arbor.Root.Store;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.Root.Preprocessing;

/// <summary>What one request needs from <see cref="RequestFeatureLoader"/>.</summary>
/// <param name="UserId">The request's user (empty: no user features, all defaults).</param>
/// <param name="CandidateIds">The candidates, in request order.</param>
/// <param name="Needed">
/// The union of the allowlists of the models the request fans out to, or
/// <see cref="FeatureProjection.All"/> (every registry feature) when any of them is untrimmed.
/// Reuse one instance per model set: its resolution is remembered per instance.
/// </param>
/// <param name="CandidateOverrides">Per candidate (same order), features the caller sent; they win over stored values. Null entries: none.</param>
/// <param name="Context">Request-level features the caller sent.</param>
public sealed record RequestFeatureQuery(
    string UserId,
    IReadOnlyList<string> CandidateIds,
    FeatureProjection Needed,
    IReadOnlyList<IReadOnlyDictionary<string, ProtoFeatureValue>?>? CandidateOverrides = null,
    IReadOnlyDictionary<string, ProtoFeatureValue>? Context = null);
