namespace Arbor.Signatures.Validation;

/// <summary>
/// What model, version and feature names may contain. Model and version names become directory
/// names in a model repository, so they are restricted to a safe path segment.
/// </summary>
public static class NameRules
{
    public const int MaxNameLength = 200;

    /// <summary>Letters, digits, <c>_ - .</c>; not starting with a dot. Safe as a single path segment.</summary>
    public static bool IsValidPathSegmentName(string name)
    {
        if (name.Length is 0 or > MaxNameLength || name[0] == '.')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Letters, digits and <c>_ - . : /</c>: printable, no spaces, no control characters.</summary>
    public static bool IsValidFeatureName(string name)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }
}
