namespace Arbor.Features.Wire;

/// <summary>Where one encoded column lies in an <see cref="EncodedBatch"/>'s buffer.</summary>
/// <param name="Name">The feature name.</param>
/// <param name="IsShared">True for a request-level column (<c>shared_columns</c>, field 5).</param>
/// <param name="Offset">Start of the field (its tag) in the buffer.</param>
/// <param name="Length">Bytes of the whole field: tag, length and the FeatureColumn message.</param>
/// <param name="ValueBytes">Raw bytes of the values it carries, without encoding (4 a float, 8 an id, 4·dim a vector...).</param>
public readonly record struct EncodedColumn(string Name, bool IsShared, int Offset, int Length, long ValueBytes = 0);
