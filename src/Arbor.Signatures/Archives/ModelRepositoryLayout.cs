using Arbor.Signatures.Bundles;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Archives;

/// <summary>
/// The on-disk layout of a model repository: <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.pt</c>.
/// Only directories whose names are valid model or version names count; files at the top level
/// (the feature registry, sample data, the partition manifest) and hidden entries are ignored.
/// </summary>
public static class ModelRepositoryLayout
{
    public const string ModelFileName = "model.pt";

    public const string GoldenFileName = "golden.json";

    /// <summary>The model directories of a repository, sorted ordinally.</summary>
    public static IReadOnlyList<string> ListModels(string repository) => ListNamedDirectories(repository);

    /// <summary>The version directories of a model, sorted by <see cref="ModelVersionComparer"/>.</summary>
    public static IReadOnlyList<string> ListVersions(string repository, string model)
    {
        var versions = ListNamedDirectories(Path.Combine(repository, model)).ToList();
        versions.Sort(ModelVersionComparer.Instance);
        return versions;
    }

    public static string ModelPath(string repository, string model, string version) =>
        Path.Combine(repository, model, version, ModelFileName);

    private static IReadOnlyList<string> ListNamedDirectories(string path)
    {
        if (!Directory.Exists(path))
        {
            return [];
        }

        return Directory.EnumerateDirectories(path)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(NameRules.IsValidPathSegmentName)
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
