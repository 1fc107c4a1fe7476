namespace Arbor.Release.Environments;

/// <summary>
/// The directory holding every environment (<c>&lt;dir&gt;/canary</c>, <c>&lt;dir&gt;/production</c>)
/// in rollout order, and the release journal (<c>&lt;dir&gt;/releases</c>).
/// </summary>
public sealed class ReleaseEnvironments
{
    /// <summary>The default rollout order: canary first, then production.</summary>
    public static IReadOnlyList<string> DefaultOrder { get; } = ["canary", "production"];

    public ReleaseEnvironments(string path, IReadOnlyList<string>? order = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        order ??= DefaultOrder;
        if (order.Count == 0 || order.Distinct(StringComparer.Ordinal).Count() != order.Count)
        {
            throw new ArgumentException("Environments must be a non-empty list of distinct names.", nameof(order));
        }

        Path = System.IO.Path.GetFullPath(path);
        Environments = [.. order.Select(name => new EnvironmentDirectory(name, System.IO.Path.Combine(Path, name)))];
    }

    public string Path { get; }

    /// <summary>The environments in rollout order (the first is the canary).</summary>
    public IReadOnlyList<EnvironmentDirectory> Environments { get; }

    /// <summary>Where release records are kept.</summary>
    public string ReleasesDirectory => System.IO.Path.Combine(Path, "releases");

    public EnvironmentDirectory Get(string name) =>
        Environments.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown environment '{name}' (known: {string.Join(", ", Environments.Select(e => e.Name))}).", nameof(name));
}
