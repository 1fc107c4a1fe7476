namespace Arbor.FeatureStore.Feast;

/// <summary>
/// A Feast online store read as a feature source: the Feast project (tables are
/// <c>{project}_{view}</c>), the entity kinds and their views, and the registry names of Feast
/// features. A feature named in <see cref="Features"/> is read from the view and Feast feature it
/// maps to; any other registry name of the form <c>view:feature</c> is that feature of that view.
/// </summary>
public sealed record FeastSourceOptions(
    string Project,
    IReadOnlyList<FeastEntityOptions> Entities,
    IReadOnlyDictionary<string, FeastFeatureRef> Features);
