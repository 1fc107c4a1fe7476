namespace Arbor.Cli.Cluster;

/// <summary>
/// Where the processes of a cluster run: all on loopback, or roots in one network namespace and
/// leaves in another, joined by a shaped link (scripts/linknet.sh), so that root→leaf traffic
/// crosses a real, capped link.
/// </summary>
/// <param name="RootAddress">The address roots listen on (their clients are in the same namespace).</param>
/// <param name="LeafAddress">The address leaves listen on and roots connect to.</param>
/// <param name="LeafWrapper">Command prefix that runs a leaf in its namespace; empty on loopback.</param>
public sealed record ClusterPlacement(string RootAddress, string LeafAddress, IReadOnlyList<string> LeafWrapper)
{
    public const string RootNamespace = "arbor-root";
    public const string LeafNamespace = "arbor-leaf";

    public static ClusterPlacement Loopback { get; } = new("127.0.0.1", "127.0.0.1", []);

    /// <summary>
    /// For a process already running inside <see cref="RootNamespace"/>: roots bind there, leaves
    /// are started inside <see cref="LeafNamespace"/> at the far end of the veth pair.
    /// </summary>
    public static ClusterPlacement Namespaces { get; } = new("127.0.0.1", "10.231.0.2", ["ip", "netns", "exec", LeafNamespace]);

    /// <summary>Whether leaves share the root's loopback (ports must then be unique across all processes).</summary>
    public bool SharedLoopback => LeafWrapper.Count == 0;
}
