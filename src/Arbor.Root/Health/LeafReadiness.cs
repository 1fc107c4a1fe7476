using System.Collections.Frozen;
using Arbor.Root.FanOut;
using Arbor.Root.Routing;
using Arbor.Rpc.Client;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Health;

/// <summary>
/// The leaf half of the root's readiness: every interval, every replica of every partition the
/// routing table in force sends a model to is asked <c>grpc.health.v1.Health/Check</c> (bounded by
/// the check timeout, all at once); a partition is ready while one of its replicas serves. A
/// partition no model routes to does not count, and a routing reload takes effect at the next check.
/// </summary>
public sealed partial class LeafReadiness : PeriodicReadinessProbe
{
    private readonly RoutingState _routing;
    private readonly LeafClientPool _clients;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private FrozenDictionary<string, PartitionReadiness> _current = FrozenDictionary<string, PartitionReadiness>.Empty;

    public LeafReadiness(RoutingState routing, LeafClientPool clients, TimeSpan interval, TimeSpan timeout, TimeProvider time, ILogger<LeafReadiness> logger)
        : base(interval, time)
    {
        _routing = routing;
        _clients = clients;
        _timeout = timeout;
        _logger = logger;
    }

    /// <summary>The routed partitions as the last check found them, by name.</summary>
    public FrozenDictionary<string, PartitionReadiness> Partitions => Volatile.Read(ref _current);

    /// <summary>True when the last check found a ready replica in every routed partition.</summary>
    public bool Ready
    {
        get
        {
            foreach (var partition in Partitions.Values)
            {
                if (!partition.State.Ready)
                {
                    return false;
                }
            }

            return true;
        }
    }

    protected override async Task CheckOnceAsync(bool starting, CancellationToken cancellationToken)
    {
        var routed = _routing.Current.Config.Models.Values.Select(m => m.Partition).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var checks = routed.Select(partition => CheckPartitionAsync(partition, cancellationToken)).ToList();
        var results = await Task.WhenAll(checks).ConfigureAwait(false);
        var previous = Partitions;
        var now = Time.GetUtcNow();
        var next = new Dictionary<string, PartitionReadiness>(StringComparer.Ordinal);
        foreach (var (partition, replicas) in results)
        {
            var ready = replicas.Count(r => r.Ready);
            var summary = replicas.Length == 0 ? "no replicas" : $"{ready} of {replicas.Length} replicas ready";
            var error = ready > 0 ? null : string.Join("; ", replicas.Select(r => $"{r.Address}: {r.Error}"));
            var state = previous.TryGetValue(partition, out var before)
                ? before.State.Next(ready > 0, summary, error, now)
                : new DependencyReadiness(ready > 0, summary, error, now, now);
            if (state.Ready != (before?.State.Ready ?? true) || (before is null && !state.Ready))
            {
                if (state.Ready)
                {
                    LogPartitionReady(partition, summary);
                }
                else
                {
                    LogPartitionNotReady(partition, summary, error ?? "");
                }
            }

            next[partition] = new PartitionReadiness(partition, replicas, state);
        }

        Volatile.Write(ref _current, next.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private async Task<(string Partition, ReplicaReadiness[] Replicas)> CheckPartitionAsync(string partition, CancellationToken cancellationToken)
    {
        if (!_clients.TryGetPartition(partition, out var set))
        {
            return (partition, []);
        }

        var replicas = await Task.WhenAll(set.Endpoints.Select(channel => CheckReplicaAsync(channel, cancellationToken))).ConfigureAwait(false);
        return (partition, replicas);
    }

    private async Task<ReplicaReadiness> CheckReplicaAsync(RpcChannel channel, CancellationToken cancellationToken)
    {
        var address = channel.Address.Authority;
        try
        {
            var problem = await LeafHealthCheck.CheckAsync(channel, _timeout, cancellationToken).ConfigureAwait(false);
            return new ReplicaReadiness(address, problem is null, problem);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new ReplicaReadiness(address, false, $"health check failed: {e.GetType().Name}");
        }
    }

    [LoggerMessage(EventId = 2203, Level = LogLevel.Information, Message = "Leaf partition {Partition} is ready ({Summary})")]
    private partial void LogPartitionReady(string partition, string summary);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Warning, Message = "Leaf partition {Partition} has no ready replica ({Summary}); the root is not ready: {Errors}")]
    private partial void LogPartitionNotReady(string partition, string summary, string errors);
}
