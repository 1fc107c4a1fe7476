namespace Arbor.FeatureStore.Values;

/// <summary>
/// The type of a <see cref="TypedValue"/>. <see cref="None"/> (the default) means "no value".
/// The other members match <see cref="Arbor.Signatures.Registry.FeatureType"/> shifted by one.
/// </summary>
public enum TypedValueKind : byte
{
    None = 0,
    Float,
    Int64,
    FloatVector,
    Int64List,
    String,
    Bytes,
}
