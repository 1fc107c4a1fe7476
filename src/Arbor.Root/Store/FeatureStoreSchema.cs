namespace Arbor.Root.Store;

/// <summary>The logical schema every adapter implements (see docs/feature-store.md).</summary>
public static class FeatureStoreSchema
{
    /// <summary>The schema version recorded in <c>arbor_schema</c>; a store with another version is refused.</summary>
    public const string Version = "1";

    public const string ValuesTable = "feature_values";

    public const string MetadataTable = "arbor_schema";
}
