namespace Arbor.Cli.Cluster;

/// <summary>
/// How to start the <c>arbor</c> tool itself as a child process: its app host when this process is
/// one, otherwise <c>dotnet arbor.dll</c> (e.g. when the cluster is driven from a test host).
/// </summary>
/// <param name="FileName">The program to execute.</param>
/// <param name="LeadingArguments">Arguments that come before the command (the assembly path for <c>dotnet</c>).</param>
public sealed record ArborExecutable(string FileName, IReadOnlyList<string> LeadingArguments)
{
    public static ArborExecutable Current()
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        if (string.Equals(Path.GetFileNameWithoutExtension(processPath), "arbor", StringComparison.Ordinal))
        {
            return new ArborExecutable(processPath, []);
        }

        var assembly = typeof(ArborExecutable).Assembly.Location;
        var host = string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.Ordinal)
            ? processPath
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        return new ArborExecutable(host, [assembly]);
    }

    /// <summary>The full argument list for running <paramref name="arguments"/>.</summary>
    public IEnumerable<string> With(IEnumerable<string> arguments) => LeadingArguments.Concat(arguments);
}
