using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Arbor.Cli.Cluster;

/// <summary>
/// The hosts of <c>scripts/linknet.sh hosts N</c>: network namespaces <c>arbor-hK</c> on one bridge,
/// host K at 10.232.0.(10+K), reachable from this namespace. Creating them needs root.
/// </summary>
public static class LinkNet
{
    /// <summary>Whether this process may create network namespaces (Linux, root).</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && Geteuid() == 0;

    /// <summary>Host <paramref name="index"/>'s address, and the command prefix that runs a process there.</summary>
    public static (string Address, IReadOnlyList<string> Wrapper) Host(int index) =>
        (string.Create(CultureInfo.InvariantCulture, $"10.232.0.{10 + index}"), ["ip", "netns", "exec", Namespace(index)]);

    /// <summary>
    /// Gives host <paramref name="index"/> its own <c>/etc/hosts</c> (<c>ip netns exec</c> mounts
    /// <c>/etc/netns/NAME/hosts</c> over it): names listed on several lines resolve to all their addresses.
    /// </summary>
    public static async Task WriteHostsFileAsync(int index, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var folder = Path.Combine("/etc/netns", Namespace(index));
        Directory.CreateDirectory(folder);
        await File.WriteAllLinesAsync(Path.Combine(folder, "hosts"), lines, cancellationToken);
    }

    /// <summary>Runs <c>scripts/linknet.sh</c> with <paramref name="arguments"/>; throws with its output when it fails.</summary>
    public static async Task RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepositoryLocator.Find(), "scripts", "linknet.sh"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start scripts/linknet.sh");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/linknet.sh {string.Join(' ', info.ArgumentList.Skip(1))} failed ({process.ExitCode}): {await output}{await errors}");
        }
    }

    private static string Namespace(int index) => string.Create(CultureInfo.InvariantCulture, $"arbor-h{index}");

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint Geteuid();
}
