using System.Diagnostics;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Release;

/// <summary>The generated sample model repository (models/repo; models/generate.sh returns at once when it is up to date).</summary>
internal static class SampleModels
{
    private static readonly Lazy<string> Generated = new(Generate);

    public static string Path => Generated.Value;

    private static string Generate()
    {
        var output = RepositoryPaths.Combine("models", "repo");
        var start = new ProcessStartInfo("bash", [RepositoryPaths.Combine("models", "generate.sh"), output]) { RedirectStandardError = true, RedirectStandardOutput = true };
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
