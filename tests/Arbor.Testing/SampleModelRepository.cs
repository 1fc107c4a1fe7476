using System.Diagnostics;

namespace Arbor.Testing;

/// <summary>
/// The sample model repository written by <c>models/generate.sh</c> (real TorchScript models with
/// golden scores, the feature registry, feature data and the partition manifest), generated on first
/// use when missing or stale. The script is idempotent and takes a lock, so parallel test projects
/// generate it once.
/// </summary>
public static class SampleModelRepository
{
    private static readonly Lazy<string> Generated = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The repository folder (&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/model.pt, golden.json).</summary>
    public static string Root => Generated.Value;

    /// <summary>The deliberately broken artefacts generated beside the repository (models/repo.bad).</summary>
    public static string Bad => Root + ".bad";

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Every (model, version) with a golden file.</summary>
    public static IReadOnlyList<(string Model, string Version)> Versions() =>
        Directory.EnumerateFiles(Root, "golden.json", SearchOption.AllDirectories)
            .Select(path => Path.GetDirectoryName(path)!)
            .Select(dir => (Path.GetFileName(Path.GetDirectoryName(dir)!), Path.GetFileName(dir)))
            .OrderBy(v => v.Item1, StringComparer.Ordinal).ThenBy(v => v.Item2, StringComparer.Ordinal)
            .ToList();

    private static string Generate()
    {
        var root = RepositoryPaths.Combine("models", "repo");
        var script = RepositoryPaths.Combine("models", "generate.sh");
        var start = new ProcessStartInfo("bash", [script, root]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot run models/generate.sh");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill();
            throw new TimeoutException("models/generate.sh did not finish in 5 minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"models/generate.sh failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }

        return root;
    }
}
