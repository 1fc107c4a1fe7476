using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Conversion;

/// <summary>How one signature input becomes forward arguments, fixed when the converter is built.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="Kind">Dense, vector or id list.</param>
/// <param name="Argument">Index of its first forward argument (an id list has two: values, offsets).</param>
/// <param name="Width">Columns of its tensor: features (dense), dim (vector); 0 for an id list.</param>
/// <param name="MaxLength">Longest id list kept (id lists only).</param>
/// <param name="Default">The value of an absent dense or vector feature.</param>
/// <param name="Features">Its features, in column order.</param>
internal sealed record InputLayout(
    string Name, InputKind Kind, int Argument, int Width, int MaxLength, float Default, IReadOnlyList<string> Features);
