using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// A page of one feature view's entities read for an export (<see cref="FeastFeatureSource.ExportAsync"/>):
/// the entities with the values a read of every feature gives, and what was left out.
/// </summary>
/// <param name="Kind">The Arbor entity kind the view belongs to.</param>
/// <param name="View">The Feast feature view.</param>
/// <param name="Entities">The page's entities that have at least one value, named and typed as reads name and type them.</param>
/// <param name="Values">Values in <paramref name="Entities"/>.</param>
/// <param name="Expired">Values left out for being older than the view's time to live.</param>
/// <param name="Refused">Values and keys left out because they cannot be read.</param>
public sealed record FeastExportPage(EntityKind Kind, string View, IReadOnlyList<EntityFeatures> Entities, long Values, long Expired, IReadOnlyList<FeastRefusal> Refused);

/// <summary>
/// A stored value or entity key an export cannot read.
/// </summary>
/// <param name="View">The Feast feature view.</param>
/// <param name="Feature">The Feast feature; null for an entity key.</param>
/// <param name="Problem"><c>corrupt</c>, <c>unknown_type</c>, <c>type_not_taken</c> (as the source's metrics name them), or <c>bad_key</c>.</param>
/// <param name="Entity">The entity's id, or for a bad key its bytes in hexadecimal (at most 64 bytes shown).</param>
public sealed record FeastRefusal(string View, string? Feature, string Problem, string Entity);
