using System.Security.Cryptography;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Bundles;

namespace Arbor.Release.Environments;

/// <summary>
/// One deployment environment (canary, production) as a directory that its processes watch:
/// <c>root/bundles/&lt;bundle&gt;.json</c> (the allowlists its roots load) and
/// <c>models/&lt;model&gt;/&lt;version&gt;/</c> (the model repository its leaves serve), plus
/// <c>state.json</c>, the record of what the release tooling deployed.
/// </summary>
public sealed class EnvironmentDirectory
{
    public const string StateFileName = "state.json";

    public EnvironmentDirectory(string name, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Name = name;
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The environment's name (canary, production).</summary>
    public string Name { get; }

    /// <summary>The environment's directory.</summary>
    public string Path { get; }

    /// <summary>Where the environment's roots find their bundle files.</summary>
    public string BundlesDirectory => System.IO.Path.Combine(Path, "root", "bundles");

    /// <summary>The model repository the environment's leaves serve.</summary>
    public string ModelsDirectory => System.IO.Path.Combine(Path, "models");

    public string StatePath => System.IO.Path.Combine(Path, StateFileName);

    public string BundlePath(string bundle) => System.IO.Path.Combine(BundlesDirectory, bundle + ".json");

    public string VersionDirectory(string model, string version) => System.IO.Path.Combine(ModelsDirectory, model, version);

    public string ArchivePath(string model, string version) =>
        System.IO.Path.Combine(VersionDirectory(model, version), ModelRepositoryLayout.ModelFileName);

    /// <summary>The models with a folder in the environment's repository (hidden names skipped).</summary>
    public IReadOnlyList<string> ListModels() =>
        Directory.Exists(ModelsDirectory)
            ? Directory.EnumerateDirectories(ModelsDirectory)
                .Select(System.IO.Path.GetFileName)
                .Where(n => n is { Length: > 0 } && n[0] != '.')
                .Select(n => n!)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    /// <summary>
    /// The published versions of a model, oldest first: folders holding a <c>model.pt</c>, as a leaf
    /// sees them (hidden names are publications in progress, skipped).
    /// </summary>
    public IReadOnlyList<string> ListVersions(string model)
    {
        var folder = System.IO.Path.Combine(ModelsDirectory, model);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateDirectories(folder)
            .Select(System.IO.Path.GetFileName)
            .Where(v => v is { Length: > 0 } && v[0] != '.' && File.Exists(ArchivePath(model, v)))
            .Select(v => v!)
            .Order(ModelVersionComparer.Instance)
            .ToList();
    }

    /// <summary>Every model's published versions.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ListDeployed()
    {
        var result = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var model in ListModels())
        {
            var versions = ListVersions(model);
            if (versions.Count > 0)
            {
                result[model] = versions;
            }
        }

        return result;
    }

    /// <summary>The version a leaf with a latest-version policy serves by default: the greatest published one.</summary>
    public string? DefaultVersion(string model) => ListVersions(model) is { Count: > 0 } versions ? versions[^1] : null;

    /// <summary>The bundle files present, by bundle name (the file name without <c>.json</c>).</summary>
    public IReadOnlyList<string> ListBundles() =>
        Directory.Exists(BundlesDirectory)
            ? Directory.EnumerateFiles(BundlesDirectory, "*.json")
                .Select(System.IO.Path.GetFileNameWithoutExtension)
                .Where(n => n is { Length: > 0 } && n[0] != '.')
                .Select(n => n!)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    /// <summary>The bytes of a bundle file, or null when there is none.</summary>
    public byte[]? ReadBundleBytes(string bundle)
    {
        var path = BundlePath(bundle);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Lower-case hex SHA-256 of a bundle file (what a root reports as its content hash), or null.</summary>
    public string? BundleHash(string bundle) => ReadBundleBytes(bundle) is { } bytes ? Sha256(bytes) : null;

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public override string ToString() => $"{Name} ({Path})";
}
