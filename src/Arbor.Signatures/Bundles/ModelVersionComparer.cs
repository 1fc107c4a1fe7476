namespace Arbor.Signatures.Bundles;

/// <summary>
/// Orders model version names: numeric versions by value (so "10" follows "9") and above every
/// non-numeric one; non-numeric versions ordinally. The greatest version is a model's latest.
/// </summary>
public sealed class ModelVersionComparer : IComparer<string>
{
    public static ModelVersionComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var xNumeric = IsNumeric(x);
        var yNumeric = IsNumeric(y);
        if (xNumeric != yNumeric)
        {
            return xNumeric ? 1 : -1;
        }

        if (!xNumeric)
        {
            return string.CompareOrdinal(x, y);
        }

        var xDigits = x.AsSpan().TrimStart('0');
        var yDigits = y.AsSpan().TrimStart('0');
        if (xDigits.Length != yDigits.Length)
        {
            return xDigits.Length.CompareTo(yDigits.Length);
        }

        var byValue = xDigits.SequenceCompareTo(yDigits);
        return byValue != 0 ? byValue : string.CompareOrdinal(x, y);
    }

    /// <summary>Whether a version name is all ASCII digits.</summary>
    public static bool IsNumeric(string version) =>
        version.Length > 0 && version.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>The greatest version of a non-empty set.</summary>
    public static string Latest(IEnumerable<string> versions) => versions.Max(Instance)
        ?? throw new ArgumentException("At least one version is required.", nameof(versions));
}
