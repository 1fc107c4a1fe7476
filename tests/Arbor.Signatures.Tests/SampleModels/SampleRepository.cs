using System.Diagnostics;
using Arbor.Testing;

namespace Arbor.Signatures.Tests.SampleModels;

/// <summary>
/// The generated sample model repository (models/repo, and models/repo.bad for broken artefacts).
/// Generated on first use by models/generate.sh, which returns at once when it is up to date.
/// </summary>
internal static class SampleRepository
{
    private static readonly Lazy<string> Generated = new(Generate);

    public static string Path => Generated.Value;

    public static string BadPath => Generated.Value + ".bad";

    private static string Generate()
    {
        var script = RepositoryPaths.Combine("models", "generate.sh");
        var output = RepositoryPaths.Combine("models", "repo");
        var start = new ProcessStartInfo("bash", [script, output]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start bash");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("models/generate.sh did not finish within 5 minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"models/generate.sh failed ({process.ExitCode}): {stdout.Result}{stderr.Result}");
        }

        return output;
    }
}
