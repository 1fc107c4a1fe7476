using System.Collections.Frozen;
using Arbor.Root.Routing;
using Arbor.Rpc.Client;

namespace Arbor.Root.FanOut;

/// <summary>
/// The RPC channels to every leaf replica, grouped per partition into <see cref="ReplicaSet{T}"/>s.
/// A routing change publishes a new grouping in one swap; channels are kept per address, so a
/// replica that stays in the config keeps its connections (and its byte counters) across reloads.
/// </summary>
public sealed class LeafClientPool : IDisposable
{
    private readonly Dictionary<string, RpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Func<string, RpcChannel> _channelFactory;
    private FrozenDictionary<string, ReplicaSet<RpcChannel>> _partitions = FrozenDictionary<string, ReplicaSet<RpcChannel>>.Empty;

    public LeafClientPool(TimeProvider time, Func<string, RpcChannel>? channelFactory = null)
    {
        _time = time;
        _channelFactory = channelFactory ?? (address => new RpcChannel(address));
    }

    /// <summary>Every channel ever opened, by address (for byte accounting).</summary>
    public IReadOnlyList<RpcChannel> Channels
    {
        get
        {
            lock (_gate)
            {
                return [.. _channels.Values];
            }
        }
    }

    /// <summary>Rebuilds the partitions from a routing table.</summary>
    public void Update(RoutingTable table)
    {
        lock (_gate)
        {
            var partitions = new Dictionary<string, ReplicaSet<RpcChannel>>(StringComparer.Ordinal);
            foreach (var (partition, endpoints) in table.Partitions)
            {
                var channels = new List<RpcChannel>(endpoints.Count);
                foreach (var endpoint in endpoints)
                {
                    if (!_channels.TryGetValue(endpoint, out var channel))
                    {
                        channel = _channelFactory(endpoint);
                        _channels[endpoint] = channel;
                    }

                    channels.Add(channel);
                }

                partitions[partition] = new ReplicaSet<RpcChannel>(channels, _time);
            }

            Volatile.Write(ref _partitions, partitions.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }

    /// <summary>The replicas of <paramref name="partition"/>; false when the partition is unknown.</summary>
    public bool TryGetPartition(string partition, out ReplicaSet<RpcChannel> replicas) =>
        Volatile.Read(ref _partitions).TryGetValue(partition, out replicas!);

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }
}
