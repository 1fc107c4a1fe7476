namespace Arbor.Signatures.Validation;

/// <summary>One thing wrong with an artefact (signature, archive, bundle or registry), and where.</summary>
/// <param name="Path">
/// Where the problem is: a JSON path (<c>$.inputs[1].kind</c>) for document problems, an archive
/// entry name or <c>(archive)</c> for container problems.
/// </param>
/// <param name="Message">What is wrong, in words that name the problem.</param>
public sealed record ArtefactProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
