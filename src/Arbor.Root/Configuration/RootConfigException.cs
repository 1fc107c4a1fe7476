namespace Arbor.Root.Configuration;

/// <summary>A root configuration file that cannot be used, with every problem found and where.</summary>
public sealed class RootConfigException(string source, IReadOnlyList<string> problems)
    : Exception($"Invalid root config '{source}': {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
