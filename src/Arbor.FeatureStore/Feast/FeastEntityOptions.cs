using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Feast;

/// <summary>How an Arbor entity kind is found in Feast: the join key its id is, the key's type, and the views to read.</summary>
public sealed record FeastEntityOptions(EntityKind Kind, string JoinKey, FeastKeyType KeyType, IReadOnlyList<FeastViewOptions> Views);
