using Arbor.Features.Values;

namespace Arbor.FeatureStore.Sources;

/// <summary>
/// Feature values of one entity to write. A value without a type (<see cref="TypedValue.None"/>)
/// deletes that feature; features not listed are left as they are.
/// </summary>
public sealed record EntityFeatures(EntityKind Kind, string Id, IReadOnlyList<KeyValuePair<string, TypedValue>> Features);
