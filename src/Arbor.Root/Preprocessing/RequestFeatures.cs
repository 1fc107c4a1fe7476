namespace Arbor.Root.Preprocessing;

/// <summary>The preprocessed features of one request, per entity kind, as views over what the cache and the client gave.</summary>
/// <param name="Plan">The request's fetch plan.</param>
/// <param name="User">One row: the request's user.</param>
/// <param name="Candidates">One row per candidate, in request order (client values included where sent for a planned feature).</param>
/// <param name="Context">One row: the request-level features the caller sent.</param>
/// <param name="Client">Everything the client sent, validated and preprocessed.</param>
public sealed record RequestFeatures(FetchPlan Plan, FeatureFrame User, FeatureFrame Candidates, FeatureFrame Context, ClientFeatures Client);
