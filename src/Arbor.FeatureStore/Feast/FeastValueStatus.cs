namespace Arbor.FeatureStore.Feast;

/// <summary>What decoding one stored Feast value gave.</summary>
public enum FeastValueStatus
{
    /// <summary>A value Arbor takes.</summary>
    Value,

    /// <summary>Feast's null (<c>null_val</c>, or no field set): the feature is missing.</summary>
    Null,

    /// <summary>A Feast type Arbor has no typed value for (bool, timestamps, string/bytes/bool lists).</summary>
    TypeNotTaken,

    /// <summary>A field number this build does not know (a newer Feast type).</summary>
    UnknownType,

    /// <summary>Bytes that are not a serialized <c>feast.types.Value</c>.</summary>
    Corrupt,
}
