namespace Arbor.Release.Verification;

/// <summary>One thing verification found, about one root/leaf/model.</summary>
public sealed record VerificationFinding(FindingSeverity Severity, FindingKind Kind, string Subject, string Message)
{
    public override string ToString() => $"{(Severity == FindingSeverity.Error ? "ERROR" : "warning")} {Kind}: {Subject}: {Message}";
}
