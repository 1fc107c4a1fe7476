using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;
using Google.Protobuf;

namespace Arbor.Leaf.Checking;

/// <summary>
/// Feature columns for a model check, built from a signature and the feature registry as a root
/// would send them: every fourth row lacks every feature (defaults), id lists run from empty to
/// longer than their <c>max_length</c>, ids stay in the registry's range and reach both its ends,
/// and a registry int64 feature arrives as int64s. Deterministic: the same inputs give the same columns.
/// </summary>
internal static class CheckColumns
{
    public static List<FeatureColumn> Build(ModuleInfo signature, FeatureRegistry? registry, int rows)
    {
        var definitions = registry?.Features.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var missing = MissingBits(rows);
        var columns = new List<FeatureColumn>();
        var seed = 0;
        foreach (var input in signature.Inputs)
        {
            foreach (var feature in input.Features)
            {
                seed++;
                var definition = definitions is not null && definitions.TryGetValue(feature, out var found) ? found : null;
                var column = new FeatureColumn { Name = feature, Missing = missing };
                switch (input.Kind)
                {
                    case InputKind.Dense when definition?.Type == FeatureType.Int64:
                        column.Int64S = new Int64Column();
                        for (var r = 0; r < rows; r++)
                        {
                            column.Int64S.Values.Add((r + seed) % 8);
                        }

                        break;
                    case InputKind.Dense:
                        column.Floats = new FloatColumn();
                        for (var r = 0; r < rows; r++)
                        {
                            column.Floats.Values.Add(Value(seed, r, 0));
                        }

                        break;
                    case InputKind.Vector:
                        var dim = input.Dim ?? 1;
                        column.FloatVectors = new FloatVectorColumn { Dim = (uint)dim };
                        for (var r = 0; r < rows; r++)
                        {
                            for (var k = 0; k < dim; k++)
                            {
                                column.FloatVectors.Values.Add(Value(seed, r, k));
                            }
                        }

                        break;
                    default:
                        column.Int64Lists = IdLists(FeatureIdRange.Of(definition), input.MaxLength ?? 1, rows, seed);
                        break;
                }

                columns.Add(column);
            }
        }

        return columns;
    }

    // Row r holds (r mod (max_length + 2)) ids: empty, then up to one past max_length (truncated by the converter).
    private static Int64ListColumn IdLists(FeatureIdRange range, int maxLength, int rows, int seed)
    {
        var lists = new Int64ListColumn();
        var span = unchecked((ulong)(range.Max - range.Min));
        for (var r = 0; r < rows; r++)
        {
            var length = rows == 1 ? Math.Min(maxLength, 3) : r % (Math.Min(maxLength, 64) + 2);
            lists.Lengths.Add((uint)length);
            for (var k = 0; k < length; k++)
            {
                var offset = k switch
                {
                    0 => 0UL,
                    1 => span,
                    _ => span == ulong.MaxValue ? Mix(seed, r, k) : Mix(seed, r, k) % (span + 1),
                };
                lists.Values.Add(unchecked(range.Min + (long)offset));
            }
        }

        return lists;
    }

    private static ByteString MissingBits(int rows)
    {
        if (rows < 4)
        {
            return ByteString.Empty;
        }

        var bits = new byte[(rows + 7) / 8];
        for (var r = 3; r < rows; r += 4)
        {
            bits[r >> 3] |= (byte)(1 << (r & 7));
        }

        return ByteString.CopyFrom(bits);
    }

    // A value in [-1, 1) that depends only on its position.
    private static float Value(int seed, int row, int k) => (float)((Mix(seed, row, k) % 2000UL) / 1000.0 - 1.0);

    private static ulong Mix(int seed, int row, int k)
    {
        var x = ((ulong)(uint)seed << 40) ^ ((ulong)(uint)row << 20) ^ (uint)k;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        return x ^ (x >> 33);
    }
}
