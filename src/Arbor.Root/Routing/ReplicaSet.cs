namespace Arbor.Root.Routing;

/// <summary>
/// The replicas of one leaf partition and the choice among them: power of two choices on in-flight
/// calls among healthy replicas; a replica that fails <see cref="FailuresToEject"/> times in a row is
/// ejected. With a health probe (<see cref="ReplicaHealthProbe{T}"/>) an ejected replica gets no live
/// traffic: it is probed (the first probe after a back-off that doubles per ejection without a success
/// in between, then every probe interval) and reinstated as soon as the probe says it serves. Without
/// one it is ejected for that back-off and then tried with live traffic again. When every replica is
/// ejected one of them is still used: a partition is never refused for lack of a healthy replica,
/// since the caller's deadline bounds the cost of trying.
/// </summary>
/// <remarks>
/// Membership changes (<see cref="SetEndpoints"/>, from a routing reload or a DNS re-resolution)
/// keep the state of the replicas that stay (in-flight count, failure streak, ejection); a removed
/// replica takes no new calls while the calls it has finish. The member array is an immutable
/// snapshot swapped atomically, so <see cref="Pick()"/> never locks.
/// </remarks>
/// <typeparam name="T">What a replica is to the caller (e.g. its RPC channel); equality identifies a replica.</typeparam>
public sealed class ReplicaSet<T>
    where T : notnull
{
    public const int FailuresToEject = 3;
    private static readonly TimeSpan BaseEjection = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxEjection = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time;
    private readonly ReplicaHealthProbe<T>? _probe;
    private readonly Action<T>? _onEjected;
    private readonly Lock _membership = new();
    private Replica[] _replicas;

    /// <param name="endpoints">The replicas.</param>
    /// <param name="time">The clock of the ejection back-offs.</param>
    /// <param name="probe">How an ejected replica is checked; null: ejected for a back-off, then tried with live traffic.</param>
    /// <param name="onEjected">Called each time a replica is ejected (for logs and metrics).</param>
    public ReplicaSet(IReadOnlyList<T> endpoints, TimeProvider time, ReplicaHealthProbe<T>? probe = null, Action<T>? onEjected = null)
    {
        _time = time;
        _probe = probe;
        _onEjected = onEjected;
        _replicas = [.. endpoints.Distinct().Select(e => new Replica(e))];
    }

    public int Count => Volatile.Read(ref _replicas).Length;

    public IEnumerable<T> Endpoints => Volatile.Read(ref _replicas).Select(r => r.Endpoint);

    /// <summary>
    /// Makes <paramref name="endpoints"/> the members: replicas that stay keep their state, new ones
    /// start healthy, removed ones take no new calls. Returns the removed replicas' endpoints with a
    /// way to see when their last call has finished (so the caller can release them).
    /// </summary>
    public IReadOnlyList<RemovedReplica> SetEndpoints(IReadOnlyList<T> endpoints)
    {
        lock (_membership)
        {
            var current = _replicas;
            var wanted = endpoints.Distinct().ToList();
            var next = new Replica[wanted.Count];
            for (var i = 0; i < wanted.Count; i++)
            {
                next[i] = Array.Find(current, r => EqualityComparer<T>.Default.Equals(r.Endpoint, wanted[i])) ?? new Replica(wanted[i]);
            }

            var removed = new List<RemovedReplica>();
            foreach (var replica in current)
            {
                if (Array.IndexOf(next, replica) < 0)
                {
                    replica.Removed = true;
                    removed.Add(new RemovedReplica(replica));
                }
            }

            Volatile.Write(ref _replicas, next);
            return removed;
        }
    }

    /// <summary>Picks a replica and counts the call as in flight until the lease is disposed.</summary>
    /// <exception cref="InvalidOperationException">The set has no replicas.</exception>
    public ReplicaLease Pick() => Pick(null);

    /// <summary>
    /// Picks a replica, avoiding <paramref name="avoid"/> (those already tried by this call) while any
    /// other replica exists; null when the set is empty.
    /// </summary>
    public ReplicaLease? TryPick(IReadOnlyCollection<T>? avoid)
    {
        var replicas = Volatile.Read(ref _replicas);
        if (replicas.Length == 0)
        {
            return null;
        }

        if (avoid is { Count: > 0 })
        {
            var candidates = replicas.Where(r => !avoid.Contains(r.Endpoint)).ToArray();
            if (candidates.Length == 0)
            {
                return null;
            }

            replicas = candidates;
        }

        var chosen = Choose(replicas, _time.GetTimestamp());
        Interlocked.Increment(ref chosen.InFlight);
        Interlocked.Increment(ref chosen.Calls);
        return new ReplicaLease(this, chosen);
    }

    /// <summary>Replicas currently ejected (for health reporting).</summary>
    public int EjectedCount()
    {
        var now = _time.GetTimestamp();
        var count = 0;
        foreach (var replica in Volatile.Read(ref _replicas))
        {
            if (!replica.IsAvailable(now))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Every replica's state now: ejected or not, how often it was ejected, calls sent and in flight (for admin views).</summary>
    public IReadOnlyList<ReplicaState<T>> States()
    {
        var now = _time.GetTimestamp();
        var replicas = Volatile.Read(ref _replicas);
        var states = new ReplicaState<T>[replicas.Length];
        for (var i = 0; i < replicas.Length; i++)
        {
            var replica = replicas[i];
            states[i] = new ReplicaState<T>(
                replica.Endpoint, !replica.IsAvailable(now), Interlocked.Read(ref replica.TotalEjections), Interlocked.Read(ref replica.Calls), Volatile.Read(ref replica.InFlight));
        }

        return states;
    }

    private ReplicaLease Pick(IReadOnlyCollection<T>? avoid) =>
        TryPick(avoid) ?? throw new InvalidOperationException("The replica set is empty.");

    private static Replica Choose(Replica[] replicas, long now)
    {
        if (replicas.Length == 1)
        {
            return replicas[0];
        }

        var a = replicas[Random.Shared.Next(replicas.Length)];
        var b = replicas[Random.Shared.Next(replicas.Length - 1)];
        if (ReferenceEquals(a, b))
        {
            b = replicas[^1];
        }

        var aUp = a.IsAvailable(now);
        var bUp = b.IsAvailable(now);
        return (aUp, bUp) switch
        {
            (true, false) => a,
            (false, true) => b,
            (true, true) => Volatile.Read(ref a.InFlight) <= Volatile.Read(ref b.InFlight) ? a : b,
            _ => FirstAvailableOrSoonest(replicas, now),
        };
    }

    private static Replica FirstAvailableOrSoonest(Replica[] replicas, long now)
    {
        var soonest = replicas[0];
        foreach (var replica in replicas)
        {
            if (replica.IsAvailable(now))
            {
                return replica;
            }

            if (Volatile.Read(ref replica.EjectedUntil) < Volatile.Read(ref soonest.EjectedUntil))
            {
                soonest = replica;
            }
        }

        return soonest;
    }

    private void Complete(Replica replica, bool success)
    {
        Interlocked.Decrement(ref replica.InFlight);
        if (success)
        {
            Volatile.Write(ref replica.ConsecutiveFailures, 0);
            Volatile.Write(ref replica.Ejections, 0);
            if (Volatile.Read(ref replica.EjectedUntil) != long.MinValue)
            {
                // A live call succeeded on an ejected replica (all were ejected): it serves again.
                Volatile.Write(ref replica.EjectedUntil, long.MinValue);
            }

            return;
        }

        if (Interlocked.Increment(ref replica.ConsecutiveFailures) < FailuresToEject)
        {
            return;
        }

        Volatile.Write(ref replica.ConsecutiveFailures, 0);
        var ejections = Math.Min(Interlocked.Increment(ref replica.Ejections), 16);
        var backoff = TimeSpan.FromTicks(Math.Min(BaseEjection.Ticks << (ejections - 1), MaxEjection.Ticks));
        Interlocked.Increment(ref replica.TotalEjections);
        if (_probe is null)
        {
            Volatile.Write(ref replica.EjectedUntil, _time.GetTimestamp() + (long)(backoff.TotalSeconds * _time.TimestampFrequency));
            _onEjected?.Invoke(replica.Endpoint);
            return;
        }

        // Ejected until a health probe says it serves; one probe loop per replica.
        Volatile.Write(ref replica.EjectedUntil, long.MaxValue);
        _onEjected?.Invoke(replica.Endpoint);
        if (Interlocked.Exchange(ref replica.Probing, 1) == 0)
        {
            var firstProbe = ejections == 1 ? _probe.Interval : backoff;
            _ = ProbeUntilServingAsync(replica, _probe, firstProbe);
        }
    }

    private async Task ProbeUntilServingAsync(Replica replica, ReplicaHealthProbe<T> probe, TimeSpan firstDelay)
    {
        try
        {
            var delay = firstDelay;
            while (!replica.Removed)
            {
                await Task.Delay(delay, _time).ConfigureAwait(false);
                delay = probe.Interval;
                if (replica.Removed)
                {
                    return;
                }

                bool serving;
                try
                {
                    serving = await probe.CheckAsync(replica.Endpoint).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    serving = false;
                }

                if (serving)
                {
                    Volatile.Write(ref replica.ConsecutiveFailures, 0);
                    Volatile.Write(ref replica.EjectedUntil, long.MinValue);
                    probe.OnReinstated?.Invoke(replica.Endpoint);
                    return;
                }
            }
        }
        finally
        {
            Volatile.Write(ref replica.Probing, 0);
        }
    }

    internal sealed class Replica(T endpoint)
    {
        public readonly T Endpoint = endpoint;
        public int InFlight;
        public int ConsecutiveFailures;
        public int Ejections;
        public int Probing;
        public long TotalEjections;
        public long Calls;
        public long EjectedUntil = long.MinValue;
        public volatile bool Removed;

        public bool IsAvailable(long now) => Volatile.Read(ref EjectedUntil) <= now;
    }

    /// <summary>A replica taken out of the set; <see cref="Idle"/> once its last call has finished.</summary>
    public sealed class RemovedReplica
    {
        private readonly Replica _replica;

        internal RemovedReplica(Replica replica) => _replica = replica;

        public T Endpoint => _replica.Endpoint;

        public bool Idle => Volatile.Read(ref _replica.InFlight) == 0;
    }

    /// <summary>A picked replica; report the outcome once with <see cref="Complete"/> or dispose.</summary>
    public sealed class ReplicaLease : IDisposable
    {
        private readonly ReplicaSet<T> _owner;
        private readonly Replica _replica;
        private bool _done;

        internal ReplicaLease(ReplicaSet<T> owner, Replica replica)
        {
            _owner = owner;
            _replica = replica;
        }

        public T Endpoint => _replica.Endpoint;

        /// <summary>Records the call's outcome: failures count towards ejection.</summary>
        public void Complete(bool success)
        {
            if (!_done)
            {
                _done = true;
                _owner.Complete(_replica, success);
            }
        }

        /// <summary>Gives the replica back unused (the caller sent it nothing after all): neither a call nor an outcome is counted.</summary>
        public void Unused()
        {
            if (!_done)
            {
                _done = true;
                Interlocked.Decrement(ref _replica.InFlight);
                Interlocked.Decrement(ref _replica.Calls);
            }
        }

        /// <summary>Ends the lease without an outcome (e.g. the caller gave up): no penalty.</summary>
        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                Interlocked.Decrement(ref _replica.InFlight);
            }
        }
    }
}

/// <summary>How a <see cref="ReplicaSet{T}"/> checks an ejected replica (e.g. <c>grpc.health.v1.Health/Check</c>).</summary>
/// <param name="CheckAsync">True when the replica serves; false or an exception keeps it ejected.</param>
/// <param name="Interval">Time between probes of one ejected replica.</param>
/// <param name="OnReinstated">Called when a probe reinstates a replica (for logs and metrics).</param>
public sealed record ReplicaHealthProbe<T>(Func<T, Task<bool>> CheckAsync, TimeSpan Interval, Action<T>? OnReinstated = null);
