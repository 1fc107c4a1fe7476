namespace Arbor.Watching;

/// <summary>
/// Resolves every symbolic link along a path, like <c>realpath(3)</c>: a ConfigMap projection
/// (<c>bundle.json → ..data/bundle.json</c>, <c>..data → ..2026_01_01_…</c>) resolves to the file
/// actually read.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40;

    /// <summary>The resolved path; the input (made absolute) where a component cannot be resolved.</summary>
    public static string Resolve(string path)
    {
        var current = Path.GetFullPath(path);
        for (var links = 0; links < MaxLinks; links++)
        {
            if (!TryResolveFirstLink(current, out var next))
            {
                return current;
            }

            current = next;
        }

        return current;
    }

    private static bool TryResolveFirstLink(string path, out string resolved)
    {
        var root = Path.GetPathRoot(path) ?? "/";
        var parts = path[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var prefix = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var candidate = Path.Combine(prefix, parts[i]);
            string? target;
            try
            {
                target = new FileInfo(candidate).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                target = null;
            }

            if (target is not null)
            {
                var rest = string.Join(Path.DirectorySeparatorChar, parts[(i + 1)..]);
                resolved = Path.GetFullPath(Path.Combine(Path.Combine(prefix, target), rest));
                return true;
            }

            prefix = candidate;
        }

        resolved = path;
        return false;
    }
}
