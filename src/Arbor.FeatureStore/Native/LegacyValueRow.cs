using Arbor.Features.Values;

namespace Arbor.FeatureStore.Native;

/// <summary>One row of a schema version 1 store (one row per value), as read by <see cref="LegacyValuesMigration"/>.</summary>
internal sealed record LegacyValueRow(string Kind, string Id, string Feature, TypedValue Value);
