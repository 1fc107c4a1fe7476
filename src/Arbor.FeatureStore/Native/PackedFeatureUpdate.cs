using Arbor.Features.Values;

namespace Arbor.FeatureStore.Native;

/// <summary>One change to a packed row: set feature <see cref="NameId"/> to <see cref="Value"/>, or delete it when the value is none.</summary>
internal readonly record struct PackedFeatureUpdate(int NameId, TypedValue Value);
