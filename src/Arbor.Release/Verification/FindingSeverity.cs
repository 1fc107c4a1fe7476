namespace Arbor.Release.Verification;

public enum FindingSeverity
{
    /// <summary>Worth knowing; verification still passes.</summary>
    Warning,

    /// <summary>Verification fails.</summary>
    Error,
}
