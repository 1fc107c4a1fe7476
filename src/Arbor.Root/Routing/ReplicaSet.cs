namespace Arbor.Root.Routing;

/// <summary>
/// The replicas of one leaf partition and the choice among them: power of two choices on in-flight
/// calls among healthy replicas; a replica that fails <see cref="FailuresToEject"/> times in a row is
/// ejected for a back-off that doubles per ejection (capped), then tried again. When every replica is
/// ejected the one whose ejection ends first is used: a partition is never refused for lack of a
/// healthy replica, since the caller's deadline bounds the cost of trying.
/// </summary>
/// <typeparam name="T">What a replica is to the caller (e.g. its RPC channel).</typeparam>
public sealed class ReplicaSet<T>
{
    public const int FailuresToEject = 3;
    private static readonly TimeSpan BaseEjection = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxEjection = TimeSpan.FromSeconds(30);

    private readonly Replica[] _replicas;
    private readonly TimeProvider _time;

    public ReplicaSet(IReadOnlyList<T> endpoints, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        _replicas = new Replica[endpoints.Count];
        for (var i = 0; i < endpoints.Count; i++)
        {
            _replicas[i] = new Replica(endpoints[i]);
        }

        _time = time;
    }

    public int Count => _replicas.Length;

    public IEnumerable<T> Endpoints => _replicas.Select(r => r.Endpoint);

    /// <summary>Picks a replica and counts the call as in flight until the lease is disposed.</summary>
    public ReplicaLease Pick()
    {
        var now = _time.GetTimestamp();
        var replicas = _replicas;
        Replica chosen;
        if (replicas.Length == 1)
        {
            chosen = replicas[0];
        }
        else
        {
            var a = replicas[Random.Shared.Next(replicas.Length)];
            var b = replicas[Random.Shared.Next(replicas.Length - 1)];
            if (ReferenceEquals(a, b))
            {
                b = replicas[^1];
            }

            var aUp = a.IsAvailable(now);
            var bUp = b.IsAvailable(now);
            chosen = (aUp, bUp) switch
            {
                (true, false) => a,
                (false, true) => b,
                (true, true) => Volatile.Read(ref a.InFlight) <= Volatile.Read(ref b.InFlight) ? a : b,
                _ => FirstAvailableOrSoonest(replicas, now),
            };
        }

        Interlocked.Increment(ref chosen.InFlight);
        return new ReplicaLease(this, chosen);
    }

    /// <summary>Replicas currently ejected (for health reporting).</summary>
    public int EjectedCount()
    {
        var now = _time.GetTimestamp();
        var count = 0;
        foreach (var replica in _replicas)
        {
            if (!replica.IsAvailable(now))
            {
                count++;
            }
        }

        return count;
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
            return;
        }

        if (Interlocked.Increment(ref replica.ConsecutiveFailures) >= FailuresToEject)
        {
            var ejections = Math.Min(Interlocked.Increment(ref replica.Ejections), 16);
            var backoff = TimeSpan.FromTicks(Math.Min(BaseEjection.Ticks << (ejections - 1), MaxEjection.Ticks));
            Volatile.Write(ref replica.EjectedUntil, _time.GetTimestamp() + (long)(backoff.TotalSeconds * _time.TimestampFrequency));
            Volatile.Write(ref replica.ConsecutiveFailures, 0);
        }
    }

    internal sealed class Replica(T endpoint)
    {
        public readonly T Endpoint = endpoint;
        public int InFlight;
        public int ConsecutiveFailures;
        public int Ejections;
        public long EjectedUntil = long.MinValue;

        public bool IsAvailable(long now) => Volatile.Read(ref EjectedUntil) <= now;
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
