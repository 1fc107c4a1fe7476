namespace Arbor.Leaf.Models;

/// <summary>
/// A model repository on disk: <c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/model.pt</c>. A version
/// exists once its <c>model.pt</c> does; publish a version by writing it elsewhere and renaming the
/// folder (or the file) into place, so a half-written archive is never picked up.
/// </summary>
public sealed class ModelRepository(string root)
{
    public const string ArchiveName = "model.pt";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The versions of a model present now; empty when the model has no folder.</summary>
    public IReadOnlyList<RepositoryVersion> ListVersions(string model)
    {
        var folder = Path.Combine(Root, model);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var versions = new List<RepositoryVersion>();
        foreach (var directory in Directory.EnumerateDirectories(folder))
        {
            var version = Path.GetFileName(directory);
            if (version.StartsWith('.'))
            {
                continue;
            }

            var archive = new FileInfo(Path.Combine(directory, ArchiveName));
            if (archive.Exists)
            {
                versions.Add(new RepositoryVersion(model, version, archive.FullName, $"{archive.Length}@{archive.LastWriteTimeUtc.Ticks}"));
            }
        }

        return versions;
    }
}
