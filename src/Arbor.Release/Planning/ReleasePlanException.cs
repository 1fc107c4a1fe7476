namespace Arbor.Release.Planning;

/// <summary>A release the planner refuses, with every reason.</summary>
public sealed class ReleasePlanException : Exception
{
    public ReleasePlanException(IReadOnlyList<string> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    public ReleasePlanException()
        : this(["the release was refused"])
    {
    }

    public ReleasePlanException(string message)
        : this([message])
    {
    }

    public ReleasePlanException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; } = [];

    private static string Describe(IReadOnlyList<string> problems) =>
        problems.Count == 1
            ? $"release refused: {problems[0]}"
            : $"release refused ({problems.Count} problems):{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}";
}
