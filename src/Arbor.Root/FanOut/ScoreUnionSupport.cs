using System.Runtime.CompilerServices;
using Arbor.Rpc.Client;

namespace Arbor.Root.FanOut;

/// <summary>
/// The leaf replicas that answered a ScoreUnion call UNIMPLEMENTED (leaves from before ScoreUnion,
/// as while a partition rolls to a new release): for <see cref="RecheckAfter"/> a union call that
/// picks one of them is sent as per-model Score calls instead. Without this every such call would
/// first send the replica the whole union request only to be refused, and a server that refuses a
/// call without reading its body resets the stream: Kestrel counts those resets against the
/// connection and, at a few hundred calls a second, refuses further calls on it with
/// ENHANCE_YOUR_CALM. After the interval one union call finds out whether the replica has been
/// upgraded.
/// </summary>
/// <remarks>
/// Keyed by the replica's channel, weakly: a replica that leaves the routing takes its entry with it.
/// Reads take no lock, and cost one flag's read while no replica has ever refused.
/// </remarks>
internal sealed class ScoreUnionSupport(TimeProvider time)
{
    /// <summary>How long a replica that refused ScoreUnion is sent per-model calls instead before it is asked again.</summary>
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(30);

    private readonly ConditionalWeakTable<RpcChannel, StrongBox<long>> _refusedAt = new();
    private volatile bool _anyRefused;

    /// <summary>Records that <paramref name="replica"/> answered ScoreUnion UNIMPLEMENTED now.</summary>
    public void Refused(RpcChannel replica)
    {
        _refusedAt.AddOrUpdate(replica, new StrongBox<long>(time.GetTimestamp()));
        _anyRefused = true;
    }

    /// <summary>Whether <paramref name="replica"/> refused ScoreUnion less than <see cref="RecheckAfter"/> ago.</summary>
    public bool HasRefused(RpcChannel replica) =>
        _anyRefused && _refusedAt.TryGetValue(replica, out var at) && time.GetElapsedTime(at.Value) < RecheckAfter;
}
