namespace Arbor.Cli.Bench;

/// <summary>One root of the overload benchmark: its runtime settings and its resident set.</summary>
/// <param name="Name"><c>current</c>, or the variant's name.</param>
/// <param name="Environment">Its extra environment (GC settings); empty: the defaults.</param>
/// <param name="RssBaselineBytes">Its resident set after warm-up, before load.</param>
/// <param name="RssAfterBytes">Its resident set the settle time after its last load.</param>
public sealed record OverloadRoot(string Name, IReadOnlyDictionary<string, string> Environment, long RssBaselineBytes, long RssAfterBytes);
