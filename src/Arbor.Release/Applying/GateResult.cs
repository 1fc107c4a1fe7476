namespace Arbor.Release.Applying;

/// <summary>Whether a gate passed, and what it saw.</summary>
public sealed record GateResult(bool Passed, IReadOnlyList<string> Report)
{
    public static GateResult Pass(params string[] report) => new(true, report);

    public static GateResult Fail(params string[] report) => new(false, report);
}
