namespace Arbor.Cli.Bench;

/// <summary>One way of fanning out: with or without the Feature Trimmer, which request compression, and per-model or union calls.</summary>
/// <param name="Name">The mode's name in reports (<c>untrimmed</c>, <c>trimmed+lz4</c>...).</param>
/// <param name="Trimming">Whether the root trims each leaf request to its model's allowlist.</param>
/// <param name="Compression">identity, lz4, zstd or gzip.</param>
/// <param name="PartitionCalls">The root's <c>fan_out.partition_calls</c>: per_model, union or auto.</param>
public sealed record BenchMode(string Name, bool Trimming, string Compression, string PartitionCalls = "per_model")
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

    /// <summary>Modes run only when named: one call per partition carrying the union of its models' allowlists.</summary>
    public static IReadOnlyList<BenchMode> Union { get; } =
    [
        new("trimmed+union", true, "identity", "union"),
        new("trimmed+lz4+union", true, "lz4", "union"),
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
            var mode = All.Concat(Union).FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
                ?? throw new ArgumentException($"unknown mode '{name}'; modes are {string.Join(", ", All.Concat(Union).Select(m => m.Name))}");
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
