namespace Arbor.Features.Values;

/// <summary>The type of a feature's values, one per <c>FeatureColumn.values</c> case on the wire.</summary>
public enum FeatureKind
{
    /// <summary>One 32-bit float per row.</summary>
    Float,

    /// <summary>One 64-bit integer per row.</summary>
    Int64,

    /// <summary>A fixed-length float vector per row.</summary>
    FloatVector,

    /// <summary>A variable-length list of 64-bit integers per row (ids).</summary>
    Int64List,

    /// <summary>One UTF-8 string per row.</summary>
    String,

    /// <summary>One opaque byte string per row.</summary>
    Bytes,
}
