using System.Collections.Frozen;
using System.Diagnostics;
using Arbor.Root.Diagnostics;
using Arbor.Root.Routing;
using Arbor.Rpc.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Root.FanOut;

/// <summary>
/// The RPC channels to every leaf replica, grouped per partition into <see cref="ReplicaSet{T}"/>s.
/// A partition's endpoints are fixed addresses and DNS names (<see cref="LeafEndpoint"/>); the names
/// are resolved when they first appear and again on every <see cref="RefreshAsync"/> (a failed
/// resolution keeps the last good addresses). A routing reload or a re-resolution changes the
/// members of the existing replica sets, so replicas that stay keep their connections, byte counters,
/// in-flight counts and ejections; a removed replica takes no new calls and its channel is closed
/// once its last call has finished. Ejected replicas are probed with <c>grpc.health.v1.Health/Check</c>;
/// each ejection is logged and counted (<c>arbor.root.leaf.ejections</c>).
/// </summary>
public sealed partial class LeafClientPool : IDisposable
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, RpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReplicaSet<RpcChannel>> _sets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _resolved = new(StringComparer.Ordinal);
    private readonly List<Retiring> _retiring = [];
    private readonly Lock _gate = new();
    private readonly Func<string, RpcChannel> _channelFactory;
    private readonly IEndpointResolver _resolver;
    private readonly ReplicaHealthProbe<RpcChannel>? _probe;
    private readonly ILogger _logger;
    private readonly RootMetrics? _metrics;
    private FrozenDictionary<string, IReadOnlyList<string>> _config = FrozenDictionary<string, IReadOnlyList<string>>.Empty;
    private FrozenDictionary<string, ReplicaSet<RpcChannel>> _partitions = FrozenDictionary<string, ReplicaSet<RpcChannel>>.Empty;

    public LeafClientPool(TimeProvider time, Func<string, RpcChannel>? channelFactory = null, LeafClientPoolOptions? options = null, ILogger<LeafClientPool>? logger = null, RootMetrics? metrics = null)
    {
        options ??= new LeafClientPoolOptions();
        Time = time;
        _metrics = metrics;
        _channelFactory = channelFactory ?? (address => new RpcChannel(address));
        _resolver = options.Resolver ?? DnsEndpointResolver.Instance;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _probe = options.HealthProbeInterval is { } interval
            ? new ReplicaHealthProbe<RpcChannel>(CheckHealthAsync, interval, channel => LogReinstated(channel.Address.Authority))
            : null;
    }

    /// <summary>The clock deadlines and ejections are measured on.</summary>
    public TimeProvider Time { get; }

    /// <summary>The channels in use or still finishing calls, by address (for byte accounting).</summary>
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

    /// <summary>
    /// Applies a routing table: partitions and their endpoints. DNS names not seen before are resolved
    /// now (bounded); known ones keep their last resolution until the next <see cref="RefreshAsync"/>.
    /// </summary>
    public void Update(RoutingTable table)
    {
        var names = DnsNames(table.Partitions).Where(n => !IsResolved(n)).ToList();
        if (names.Count > 0)
        {
            using var timeout = new CancellationTokenSource(ResolveTimeout);
            var results = ResolveAllAsync(names, timeout.Token).GetAwaiter().GetResult();
            lock (_gate)
            {
                Store(results, keepOnFailure: false);
            }
        }

        lock (_gate)
        {
            _config = table.Partitions;
            ApplyLocked();
        }
    }

    /// <summary>Re-resolves every DNS name in use and applies the addresses; closes idle removed channels.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        FrozenDictionary<string, IReadOnlyList<string>> config;
        lock (_gate)
        {
            config = _config;
        }

        var names = DnsNames(config).ToList();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ResolveTimeout);
        var results = names.Count == 0 ? [] : await ResolveAllAsync(names, timeout.Token).ConfigureAwait(false);
        lock (_gate)
        {
            Store(results, keepOnFailure: true);
            ApplyLocked();
        }
    }

    /// <summary>Re-resolves DNS names every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunDiscoveryAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Host shutdown.
        }
    }

    /// <summary>The replicas of <paramref name="partition"/>; false when the partition is unknown.</summary>
    public bool TryGetPartition(string partition, out ReplicaSet<RpcChannel> replicas) =>
        Volatile.Read(ref _partitions).TryGetValue(partition, out replicas!);

    /// <summary>Every routed replica's state by its address (<c>host:port</c>), for admin views.</summary>
    public IReadOnlyDictionary<string, ReplicaState<RpcChannel>> ReplicaStates()
    {
        var states = new Dictionary<string, ReplicaState<RpcChannel>>(StringComparer.Ordinal);
        foreach (var set in Volatile.Read(ref _partitions).Values)
        {
            foreach (var state in set.States())
            {
                states[state.Endpoint.Address.Authority] = state;
            }
        }

        return states;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var set in _sets.Values)
            {
                set.SetEndpoints([]);
            }

            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
            _retiring.Clear();
        }
    }

    private static IEnumerable<string> DnsNames(IReadOnlyDictionary<string, IReadOnlyList<string>> partitions) =>
        partitions.Values.SelectMany(e => e).Distinct(StringComparer.Ordinal).Where(e => e.StartsWith(LeafEndpoint.DnsScheme + ":", StringComparison.Ordinal));

    private bool IsResolved(string source)
    {
        lock (_gate)
        {
            return _resolved.ContainsKey(source);
        }
    }

    private async Task<(string Source, string[]? Addresses)[]> ResolveAllAsync(List<string> sources, CancellationToken cancellationToken)
    {
        return await Task.WhenAll(sources.Select(ResolveOneAsync)).ConfigureAwait(false);

        async Task<(string, string[]?)> ResolveOneAsync(string source)
        {
            if (!LeafEndpoint.TryParse(source, out var endpoint, out _) || !endpoint.IsDns)
            {
                return (source, null);
            }

            try
            {
                var ips = await _resolver.ResolveAsync(endpoint.Host!, cancellationToken).ConfigureAwait(false);
                return (source, [.. ips.Select(endpoint.AddressOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException or ArgumentException)
            {
                LogResolveFailed(endpoint.Host!, e.Message);
                return (source, null);
            }
        }
    }

    private void Store((string Source, string[]? Addresses)[] results, bool keepOnFailure)
    {
        foreach (var (source, addresses) in results)
        {
            if (addresses is not null)
            {
                _resolved[source] = addresses;
            }
            else if (!keepOnFailure || !_resolved.ContainsKey(source))
            {
                // A name that never resolved has no replicas yet (a headless Service before its pods are ready).
                _resolved.TryAdd(source, []);
            }
        }
    }

    private void ApplyLocked()
    {
        var partitions = new Dictionary<string, ReplicaSet<RpcChannel>>(StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (partition, endpoints) in _config)
        {
            var channels = new List<RpcChannel>();
            foreach (var address in endpoints.SelectMany(Expand).Distinct(StringComparer.Ordinal))
            {
                if (!_channels.TryGetValue(address, out var channel))
                {
                    channel = _channelFactory(address);
                    _channels[address] = channel;
                }

                referenced.Add(address);
                channels.Add(channel);
            }

            if (_sets.TryGetValue(partition, out var set))
            {
                Retire(set.SetEndpoints(channels));
            }
            else
            {
                var name = partition;
                set = new ReplicaSet<RpcChannel>(channels, Time, _probe, channel => OnEjected(name, channel));
                _sets[partition] = set;
            }

            partitions[partition] = set;
        }

        foreach (var gone in _sets.Keys.Where(p => !_config.ContainsKey(p)).ToList())
        {
            Retire(_sets[gone].SetEndpoints([]));
            _sets.Remove(gone);
        }

        Volatile.Write(ref _partitions, partitions.ToFrozenDictionary(StringComparer.Ordinal));

        // A removed replica's channel closes once no partition uses its address and its calls have
        // finished on two consecutive checks (a request holding the previous snapshot may still pick it).
        for (var i = _retiring.Count - 1; i >= 0; i--)
        {
            var retiring = _retiring[i];
            var address = retiring.Address;
            if (referenced.Contains(address))
            {
                _retiring.RemoveAt(i);
            }
            else if (!retiring.Replica.Idle)
            {
                retiring.IdleSeen = false;
            }
            else if (retiring.IdleSeen)
            {
                _retiring.RemoveAt(i);
                if (_channels.Remove(address, out var channel))
                {
                    channel.Dispose();
                }
            }
            else
            {
                retiring.IdleSeen = true;
            }
        }

        IEnumerable<string> Expand(string source) =>
            source.StartsWith(LeafEndpoint.DnsScheme + ":", StringComparison.Ordinal)
                ? _resolved.GetValueOrDefault(source) ?? []
                : [source];
    }

    private void Retire(IReadOnlyList<ReplicaSet<RpcChannel>.RemovedReplica> removed)
    {
        foreach (var replica in removed)
        {
            var address = _channels.First(c => ReferenceEquals(c.Value, replica.Endpoint)).Key;
            _retiring.Add(new Retiring(replica, address));
            LogRemoved(replica.Endpoint.Address.Authority);
        }
    }

    private void OnEjected(string partition, RpcChannel channel)
    {
        _metrics?.RecordLeafEjection(partition);
        LogEjected(channel.Address.Authority, partition, ReplicaSet<RpcChannel>.FailuresToEject);
    }

    private static async Task<bool> CheckHealthAsync(RpcChannel channel) =>
        await LeafHealthCheck.CheckAsync(channel, ProbeTimeout, CancellationToken.None).ConfigureAwait(false) is null;

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Resolving leaf name {Host} failed; its last known replicas stay: {Error}")]
    private partial void LogResolveFailed(string host, string error);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Leaf replica {Replica} removed; it finishes its calls and takes no new ones")]
    private partial void LogRemoved(string replica);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Leaf replica {Replica} of partition {Partition} ejected after {Failures} failed calls in a row; it takes no traffic until a health check says it serves")]
    private partial void LogEjected(string replica, string partition, int failures);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Leaf replica {Replica} serves again (health check); reinstated")]
    private partial void LogReinstated(string replica);

    [DebuggerDisplay("{Address}")]
    private sealed class Retiring(ReplicaSet<RpcChannel>.RemovedReplica replica, string address)
    {
        public ReplicaSet<RpcChannel>.RemovedReplica Replica { get; } = replica;

        public string Address { get; } = address;

        public bool IdleSeen { get; set; }
    }
}

/// <summary>How a <see cref="LeafClientPool"/> finds and checks replicas.</summary>
public sealed record LeafClientPoolOptions
{
    /// <summary>Resolves <c>dns:///</c> endpoints; the system resolver when null.</summary>
    public IEndpointResolver? Resolver { get; init; }

    /// <summary>How often an ejected replica is health-checked; null ejects for a back-off instead (no probe).</summary>
    public TimeSpan? HealthProbeInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
