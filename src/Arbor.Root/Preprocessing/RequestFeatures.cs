namespace Arbor.Root.Preprocessing;

/// <summary>The preprocessed features of one request, per entity kind.</summary>
/// <param name="User">One row: the request's user.</param>
/// <param name="Candidates">One row per candidate, in request order.</param>
/// <param name="Context">One row: the request-level features the caller sent.</param>
/// <param name="StoredTypeMismatches">Stored values whose type did not match the registry, treated as absent.</param>
public sealed record RequestFeatures(FeatureFrame User, FeatureFrame Candidates, FeatureFrame Context, int StoredTypeMismatches);
