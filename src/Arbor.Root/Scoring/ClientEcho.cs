using System.Text;

namespace Arbor.Root.Scoring;

/// <summary>
/// Client input quoted back in an error message, cut to a few characters: a 4 MiB model name must
/// not come back in a status trailer or a log line.
/// </summary>
public static class ClientEcho
{
    /// <summary><c>'value'</c>, or its first <paramref name="maxChars"/> characters, an ellipsis and its length.</summary>
    public static string Quote(string value, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length <= maxChars)
        {
            return $"'{value}'";
        }

        var cut = maxChars;
        if (char.IsHighSurrogate(value[cut - 1]))
        {
            cut--;
        }

        return new StringBuilder(cut + 32).Append('\'').Append(value, 0, cut).Append("…' (").Append(value.Length).Append(" chars)").ToString();
    }

    /// <summary>True when <paramref name="value"/> is longer than <paramref name="maxBytes"/> in UTF-8.</summary>
    public static bool ExceedsUtf8(string value, int maxBytes, out int bytes)
    {
        ArgumentNullException.ThrowIfNull(value);
        // At most 3 UTF-8 bytes per UTF-16 char: most values need no count.
        if (value.Length * 3L <= maxBytes)
        {
            bytes = -1;
            return false;
        }

        bytes = Encoding.UTF8.GetByteCount(value);
        return bytes > maxBytes;
    }
}
