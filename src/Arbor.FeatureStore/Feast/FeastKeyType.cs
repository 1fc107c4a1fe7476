namespace Arbor.FeatureStore.Feast;

/// <summary>The type of a join key's value, numbered as Feast's <c>ValueType.Enum</c> (the number written into entity keys).</summary>
public enum FeastKeyType
{
    /// <summary>UTF-8 text: the Arbor id as is.</summary>
    String = 2,

    /// <summary>A 32-bit integer, 4 bytes little-endian: the Arbor id parsed as one.</summary>
    Int32 = 3,

    /// <summary>A 64-bit integer, 8 bytes little-endian: the Arbor id parsed as one.</summary>
    Int64 = 4,
}
