using Arbor.Root.Configuration;
using Arbor.Root.FanOut;

namespace Arbor.Root.Routing;

/// <summary>
/// The routing table in force, swapped atomically on reload. Each request reads <see cref="Current"/>
/// once and keeps that snapshot for its whole life, so a reload never mixes two configurations in
/// one request and never blocks or drops one.
/// </summary>
public sealed class RoutingState(RoutingTable initial, LeafClientPool clients)
{
    private RoutingTable _current = Publish(initial, clients);

    public RoutingTable Current => Volatile.Read(ref _current);

    /// <summary>Validates and publishes a new configuration; the old one stays on any error.</summary>
    public void Update(RootConfig config)
    {
        var table = RoutingTable.Build(config);
        Volatile.Write(ref _current, Publish(table, clients));
    }

    private static RoutingTable Publish(RoutingTable table, LeafClientPool clients)
    {
        // Channels first: a request that sees the new table must find its partitions.
        clients.Update(table);
        return table;
    }
}
