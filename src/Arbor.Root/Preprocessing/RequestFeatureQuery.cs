using Arbor.Root.Cache;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.Root.Preprocessing;

/// <summary>What one request needs from <see cref="RequestFeatureLoader"/>.</summary>
/// <param name="UserId">The request's user (empty: no user features, all defaults).</param>
/// <param name="CandidateIds">The candidates, in request order.</param>
/// <param name="Plan">
/// The fetch plan of the models the request fans out to (see <see cref="FetchPlanner"/>): what to
/// read per entity kind and how client values are preprocessed.
/// </param>
/// <param name="CandidateOverrides">Per candidate (same order), features the caller sent; they win over stored values. Null entries: none.</param>
/// <param name="Context">Request-level features the caller sent.</param>
/// <param name="CandidateEntries">
/// Per candidate (same order), the index of the caller's candidate entry it stands for, which errors
/// name (a repeated id is scored once: <see cref="Scoring.DistinctCandidates"/>); null: its own index.
/// </param>
public sealed record RequestFeatureQuery(
    string UserId,
    IReadOnlyList<string> CandidateIds,
    FetchPlan Plan,
    IReadOnlyList<IReadOnlyDictionary<string, ProtoFeatureValue>?>? CandidateOverrides = null,
    IReadOnlyDictionary<string, ProtoFeatureValue>? Context = null,
    IReadOnlyList<int>? CandidateEntries = null)
{
    /// <summary>Per candidate (same order), the cache slot its id was found in when the request was read (<see cref="Scoring.ScoreQuery.Slots"/>); null: none.</summary>
    internal CacheSlots? CandidateSlots { get; init; }
}
