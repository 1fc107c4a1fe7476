namespace Arbor.Cli.Bench;

/// <summary>One root of the overload benchmark: its runtime settings and its resident set.</summary>
/// <param name="Name"><c>current</c>, or the variant's name.</param>
/// <param name="Environment">Its extra environment (GC settings); empty: the defaults.</param>
/// <param name="RssBaselineBytes">Its resident set right after warm-up (5 s, one caller).</param>
/// <param name="RssRestBytes">
/// Its resident set the settle time after a normal load (the capacity run's callers for as long),
/// before any overload: the figure to come back to, since a warm root's heap, compiled code and
/// threads are larger after real traffic than after the warm-up alone.
/// </param>
/// <param name="RssAfterBytes">Its resident set the settle time after its last (overload) load.</param>
public sealed record OverloadRoot(string Name, IReadOnlyDictionary<string, string> Environment, long RssBaselineBytes, long RssRestBytes, long RssAfterBytes)
{
    /// <summary>What the overload left behind: at rest after it minus at rest after normal load.</summary>
    public long RssResidueBytes => RssAfterBytes - RssRestBytes;
}
