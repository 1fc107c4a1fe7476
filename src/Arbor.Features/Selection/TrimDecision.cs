namespace Arbor.Features.Selection;

/// <summary>
/// The result of looking up a destination model version: which allowlist (if any) trims its leaf
/// request. A value type so that a lookup allocates nothing.
/// </summary>
public readonly struct TrimDecision
{
    /// <param name="model">The model looked up.</param>
    /// <param name="outcome">How the lookup resolved.</param>
    /// <param name="allowlistVersion">The version whose allowlist is used (null when untrimmed).</param>
    /// <param name="allowlist">The allowlist (null: send every column).</param>
    public TrimDecision(string model, TrimOutcome outcome, string? allowlistVersion, ColumnAllowlist? allowlist)
    {
        if ((outcome == TrimOutcome.UnknownModel) != (allowlist is null))
        {
            throw new ArgumentException("Exactly the unknown-model outcome has no allowlist.", nameof(allowlist));
        }

        Model = model;
        Outcome = outcome;
        AllowlistVersion = allowlistVersion;
        Allowlist = allowlist;
    }

    /// <summary>The model looked up.</summary>
    public string Model { get; }

    /// <summary>How the lookup resolved.</summary>
    public TrimOutcome Outcome { get; }

    /// <summary>The version whose allowlist is used; null when the request goes untrimmed.</summary>
    public string? AllowlistVersion { get; }

    /// <summary>The allowlist to trim to; null when the request goes untrimmed.</summary>
    public ColumnAllowlist? Allowlist { get; }

    /// <summary>True when every column is sent (no allowlist matched).</summary>
    public bool IsPassThrough => Allowlist is null;

    /// <summary>The decision to send every column to <paramref name="model"/>.</summary>
    public static TrimDecision PassThrough(string model) => new(model, TrimOutcome.UnknownModel, null, null);
}
