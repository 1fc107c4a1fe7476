namespace Arbor.Release.Verification;

/// <summary>One model's shadow verification at a root since start (from <c>/admin/trimmer</c> <c>shadow</c>, summed over versions): pairs compared and pairs that differed.</summary>
public sealed record RootShadowStats(long Samples, long Mismatches);
