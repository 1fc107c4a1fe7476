namespace Arbor.FeatureStore.Native;

/// <summary>The logical schema every adapter implements (see docs/feature-store.md).</summary>
public static class FeatureStoreSchema
{
    /// <summary>
    /// The schema version recorded in <c>arbor_schema</c>. Version 1 stores (one row per value) are
    /// migrated in place by <see cref="IFeatureStore.InitializeAsync"/>; any other version is refused.
    /// </summary>
    public const string Version = "2";

    /// <summary>The one-row-per-value layout that <see cref="Version"/> replaced.</summary>
    public const string LegacyVersion = "1";

    /// <summary>One row per entity: its features packed into one blob (<see cref="PackedFeatures"/>).</summary>
    public const string EntitiesTable = "entity_features";

    /// <summary>The feature name dictionary: packed rows name features by these small ids.</summary>
    public const string NamesTable = "feature_names";

    /// <summary>The version 1 table, read once by the migration and dropped.</summary>
    public const string LegacyValuesTable = "feature_values";

    public const string MetadataTable = "arbor_schema";
}
