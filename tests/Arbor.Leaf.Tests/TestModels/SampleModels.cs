using System.Diagnostics;
using Arbor.Testing;

[assembly: AssemblyFixture(typeof(Arbor.Leaf.Tests.TestModels.SampleModels))]

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>
/// The sample model repository (models/generate.sh: real multi-input models with golden scores),
/// generated once if missing or stale. The script is idempotent and takes a lock.
/// </summary>
public sealed class SampleModels
{
    public SampleModels()
    {
        Root = RepositoryPaths.Combine("models", "repo");
        var script = RepositoryPaths.Combine("models", "generate.sh");
        var start = new ProcessStartInfo("bash", [script, Root]) { RedirectStandardError = true, RedirectStandardOutput = true };
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
    }

    /// <summary>The repository: &lt;Root&gt;/&lt;model&gt;/&lt;version&gt;/{model.pt, golden.json}.</summary>
    public string Root { get; }

    /// <summary>Deliberately broken versions (&lt;BadRoot&gt;/&lt;name&gt;/1/model.pt).</summary>
    public string BadRoot => Root + ".bad";

    /// <summary>Every (model, version) in the repository.</summary>
    public IReadOnlyList<(string Model, string Version)> Versions() =>
        Directory.EnumerateFiles(Root, "golden.json", SearchOption.AllDirectories)
            .Select(path => Path.GetDirectoryName(path)!)
            .Select(dir => (Path.GetFileName(Path.GetDirectoryName(dir)!), Path.GetFileName(dir)))
            .OrderBy(v => v.Item1, StringComparer.Ordinal).ThenBy(v => v.Item2, StringComparer.Ordinal)
            .ToList();

    public string GoldenPath(string model, string version) => Path.Combine(Root, model, version, "golden.json");
}
