namespace Arbor.Testing;

/// <summary>Locates files of the source repository from a test's output folder.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository root (the folder holding Arbor.slnx).</summary>
    public static string Root => RootPath.Value;

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Arbor.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Arbor.slnx not found above {AppContext.BaseDirectory}.");
    }
}
