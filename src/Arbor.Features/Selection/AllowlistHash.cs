using System.Security.Cryptography;
using System.Text;

namespace Arbor.Features.Selection;

/// <summary>
/// The identity of a set of feature names, shared by the root (for the allowlist it trimmed to) and
/// the leaf (for the features its served version consumes): lowercase hex SHA-256 of the names sorted
/// by ordinal, each followed by <c>'\n'</c>. Equal sets give equal hashes whatever their order.
/// </summary>
public static class AllowlistHash
{
    /// <summary>Hashes <paramref name="features"/> (duplicates count once).</summary>
    public static string Of(IEnumerable<string> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var sorted = features.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var feature in sorted)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(feature));
            hash.AppendData("\n"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
