namespace Arbor.FeatureStore.Native;

/// <summary>What a store holds: entities and feature values per entity kind.</summary>
public sealed record FeatureStoreStats(long Users, long UserValues, long Candidates, long CandidateValues);
