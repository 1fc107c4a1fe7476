namespace Arbor.Release.Canary;

/// <summary>One comparison of the canary with production.</summary>
public sealed record CanaryCheck(string Name, double Canary, double Production, double Limit, bool Passed, string Message)
{
    public override string ToString() => $"{(Passed ? "pass" : "FAIL")} {Name}: {Message}";
}
