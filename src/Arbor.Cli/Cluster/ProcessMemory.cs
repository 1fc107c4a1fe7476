using System.Globalization;

namespace Arbor.Cli.Cluster;

/// <summary>The resident set of a process, as the kernel reports it (<c>/proc/PID/status</c>, <c>VmRSS</c>).</summary>
public static class ProcessMemory
{
    /// <summary>Resident bytes of process <paramref name="pid"/>, or 0 when it is gone or the platform has no /proc.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0;
    }
}
