namespace Arbor.Trimming.Verification;

/// <summary>What became of one sampled trimmed call's shadow pair.</summary>
public enum ShadowOutcome
{
    /// <summary>The trimmed and the untrimmed call scored every row and output with the same bits.</summary>
    Match,

    /// <summary>At least one score differs: the allowlist drops a feature the served version reads.</summary>
    Mismatch,

    /// <summary>A call of the pair failed, or the two reached different versions: nothing to compare.</summary>
    Failed,

    /// <summary>Sampled, but as many pairs as allowed were in flight: not sent.</summary>
    Dropped,
}
