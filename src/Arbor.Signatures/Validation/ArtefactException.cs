using System.Text;

namespace Arbor.Signatures.Validation;

/// <summary>
/// An artefact could not be read or failed validation. Carries every problem found, each with its
/// location, so one run reports all of them rather than the first.
/// </summary>
public class ArtefactException : Exception
{
    public ArtefactException(string subject, IReadOnlyList<ArtefactProblem> problems)
        : base(Format(subject, problems))
    {
        Subject = subject;
        Problems = problems;
    }

    public ArtefactException(string subject, IReadOnlyList<ArtefactProblem> problems, Exception? innerException)
        : base(Format(subject, problems), innerException)
    {
        Subject = subject;
        Problems = problems;
    }

    /// <summary>What was being read, e.g. <c>module_info.json in repo/m/1/model.pt</c>.</summary>
    public string Subject { get; }

    /// <summary>Every problem found (at least one).</summary>
    public IReadOnlyList<ArtefactProblem> Problems { get; }

    private static string Format(string subject, IReadOnlyList<ArtefactProblem> problems)
    {
        var text = new StringBuilder();
        text.Append(subject).Append(" is invalid");
        if (problems.Count == 1)
        {
            return text.Append(": ").Append(problems[0]).ToString();
        }

        text.Append(" (").Append(problems.Count).Append(" problems):");
        foreach (var problem in problems)
        {
            text.Append("\n  ").Append(problem);
        }

        return text.ToString();
    }
}
