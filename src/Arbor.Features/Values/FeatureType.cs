namespace Arbor.Features.Values;

/// <summary>
/// The type of a feature's values: in the registry, in the stores, in a <see cref="TypedValue"/> and
/// on the wire (one per <c>FeatureColumn.values</c> case). The numbers are the type codes the packed
/// store layout keeps on disk, so they never change. <c>default</c> (0) names no type: it is the kind
/// of a <see cref="TypedValue"/> that holds no value.
/// </summary>
public enum FeatureType : byte
{
    /// <summary>One 32-bit float per row.</summary>
    Float = 1,

    /// <summary>One 64-bit integer per row.</summary>
    Int64 = 2,

    /// <summary>A fixed-length float vector per row.</summary>
    FloatVector = 3,

    /// <summary>A variable-length list of 64-bit integers per row (ids).</summary>
    Int64List = 4,

    /// <summary>One UTF-8 string per row.</summary>
    String = 5,

    /// <summary>One opaque byte string per row.</summary>
    Bytes = 6,
}
