using Arbor.Root.Store;

namespace Arbor.Root.Batching;

/// <summary>
/// The features one request fetches, split by the entity that owns them: the union of the
/// allowlists of the models it fans out to ("fetch what you use"), or every registered feature when
/// any of those models goes untrimmed.
/// </summary>
/// <param name="UserFeatures">Fetched for the request's user; sent once per request (shared columns).</param>
/// <param name="CandidateFeatures">Fetched for every candidate; sent as per-row columns.</param>
/// <param name="ContextFeatures">Taken from the request's context when present; shared columns. Null: any.</param>
public sealed record FeaturePlan(FeatureProjection UserFeatures, FeatureProjection CandidateFeatures, IReadOnlySet<string>? ContextFeatures);
