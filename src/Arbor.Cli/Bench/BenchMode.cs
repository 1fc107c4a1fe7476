namespace Arbor.Cli.Bench;

/// <summary>One way of fanning out: with or without the Feature Trimmer, and which request compression.</summary>
/// <param name="Name">The mode's name in reports (<c>untrimmed</c>, <c>trimmed+lz4</c>...).</param>
/// <param name="Trimming">Whether the root trims each leaf request to its model's allowlist.</param>
/// <param name="Compression">identity, lz4, zstd or gzip.</param>
public sealed record BenchMode(string Name, bool Trimming, string Compression)
{
    public static BenchMode Untrimmed { get; } = new("untrimmed", false, "identity");

    public static BenchMode Trimmed { get; } = new("trimmed", true, "identity");

    /// <summary>The six modes of the benchmark, the baseline first.</summary>
    public static IReadOnlyList<BenchMode> All { get; } =
    [
        Untrimmed,
        new("lz4", false, "lz4"),
        new("zstd", false, "zstd"),
        Trimmed,
        new("trimmed+lz4", true, "lz4"),
        new("trimmed+zstd", true, "zstd"),
    ];

    /// <summary>Parses a comma-separated list of mode names; the baseline (untrimmed) is always included and first.</summary>
    public static IReadOnlyList<BenchMode> ParseList(string? names)
    {
        if (string.IsNullOrWhiteSpace(names))
        {
            return All;
        }

        var chosen = new List<BenchMode> { Untrimmed };
        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var mode = All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
                ?? throw new ArgumentException($"unknown mode '{name}'; modes are {string.Join(", ", All.Select(m => m.Name))}");
            if (!chosen.Contains(mode))
            {
                chosen.Add(mode);
            }
        }

        return chosen;
    }

    /// <summary>A name usable in file names and process names.</summary>
    public string Slug => Name.Replace('+', '-');
}
