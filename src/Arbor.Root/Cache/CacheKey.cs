using Arbor.FeatureStore.Sources;


namespace Arbor.Root.Cache;

/// <summary>The cache key: one entity.</summary>
internal readonly record struct CacheKey(EntityKind Kind, string Id);
