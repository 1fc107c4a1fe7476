namespace Arbor.Cli.Cluster;

/// <summary>The machine's load average, as the kernel reports it (<c>/proc/loadavg</c>), for reports to print beside their figures.</summary>
public static class MachineLoad
{
    /// <summary>The 1, 5 and 15 minute load averages ("2.10 1.95 1.80"), or "unknown" without /proc.</summary>
    public static string Averages()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
