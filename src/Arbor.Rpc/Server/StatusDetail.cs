using System.Text;

namespace Arbor.Rpc.Server;

/// <summary>Keeps status messages short enough to travel as a trailer.</summary>
public static class StatusDetail
{
    private const string Ellipsis = "…";

    /// <summary>
    /// Returns <paramref name="detail"/> when its UTF-8 form fits <paramref name="maxBytes"/>, else
    /// its longest prefix (whole characters) that fits with an ellipsis appended.
    /// </summary>
    public static string Cap(string detail, int maxBytes = RpcServerOptions.MaxStatusDetailBytes)
    {
        ArgumentNullException.ThrowIfNull(detail);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 8);
        // Every char is at most 3 UTF-8 bytes (surrogate pairs: 4 for 2 chars).
        if (detail.Length * 3 <= maxBytes || Encoding.UTF8.GetByteCount(detail) <= maxBytes)
        {
            return detail;
        }

        var budget = maxBytes - Encoding.UTF8.GetByteCount(Ellipsis);
        var length = 0;
        var bytes = 0;
        while (length < detail.Length)
        {
            var step = char.IsHighSurrogate(detail[length]) && length + 1 < detail.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(detail.AsSpan(length, step));
            if (bytes + size > budget)
            {
                break;
            }

            bytes += size;
            length += step;
        }

        return string.Concat(detail.AsSpan(0, length), Ellipsis);
    }
}
