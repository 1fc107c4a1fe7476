using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>The new stored state of one entity after a write: its packed features, or null to delete its row.</summary>
internal readonly record struct PackedEntityRow(EntityKind Kind, string Id, int FeatureCount, byte[]? Features);
