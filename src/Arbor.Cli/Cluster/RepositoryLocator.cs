namespace Arbor.Cli.Cluster;

/// <summary>Finds the Arbor source repository (the folder holding <c>Arbor.slnx</c>): its scripts and sample generator live there.</summary>
public static class RepositoryLocator
{
    /// <summary>The repository root above the working directory or above the tool's own files.</summary>
    public static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Arbor.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("the Arbor repository (a folder with Arbor.slnx) was not found above the working directory; run from a checkout");
    }
}
