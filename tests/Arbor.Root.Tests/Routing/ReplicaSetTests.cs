using Arbor.Root.Routing;
using Arbor.Testing;

namespace Arbor.Root.Tests.Routing;

public sealed class ReplicaSetTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Pick_SpreadsLoadOverReplicas()
    {
        var set = new ReplicaSet<string>(["a", "b", "c"], _time);
        var leases = Enumerable.Range(0, 30).Select(_ => set.Pick()).ToList();

        var counts = leases.GroupBy(l => l.Endpoint).ToDictionary(g => g.Key, g => g.Count());

        // Least-loaded of two choices keeps in-flight counts close together.
        Assert.Equal(3, counts.Count);
        Assert.True(counts.Values.Max() - counts.Values.Min() <= 4, string.Join(",", counts));
    }

    [Fact]
    public void Pick_ReplicaFailingRepeatedly_IsEjectedUntilBackoffEnds()
    {
        var set = new ReplicaSet<string>(["bad", "good"], _time);
        FailUntilEjected(set, "bad");

        for (var i = 0; i < 50; i++)
        {
            using var lease = set.Pick();
            Assert.Equal("good", lease.Endpoint);
            lease.Complete(success: true);
        }

        _time.Advance(TimeSpan.FromSeconds(1.5));
        var picked = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            using var lease = set.Pick();
            picked.Add(lease.Endpoint);
        }

        Assert.Contains("bad", picked);
    }

    [Fact]
    public void Pick_AllReplicasEjected_StillReturnsOne()
    {
        var set = new ReplicaSet<string>(["a", "b"], _time);
        FailUntilEjected(set, "a");
        FailUntilEjected(set, "b");

        Assert.Equal(2, set.EjectedCount());
        using var lease = set.Pick();
        Assert.Contains(lease.Endpoint, new[] { "a", "b" });
    }

    [Fact]
    public void Complete_Success_ResetsTheFailureStreak()
    {
        var set = new ReplicaSet<string>(["only"], _time);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < ReplicaSet<string>.FailuresToEject - 1; i++)
            {
                set.Pick().Complete(success: false);
            }

            set.Pick().Complete(success: true);
        }

        Assert.Equal(0, set.EjectedCount());
    }

    [Fact]
    public void SetEndpoints_KeepsTheStateOfReplicasThatStay_NewOnesTakeCalls_RemovedOnesNone()
    {
        var set = new ReplicaSet<string>(["a", "b"], _time);
        FailUntilEjected(set, "a");
        var held = set.Pick();
        var heldEndpoint = held.Endpoint;

        var removed = set.SetEndpoints(["a", "c"]);

        Assert.Equal(1, set.EjectedCount());
        Assert.Equal(["a", "c"], set.Endpoints);
        var picked = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            using var lease = set.Pick();
            picked.Add(lease.Endpoint);
        }

        Assert.Equal(["c"], picked);
        Assert.Equal("b", Assert.Single(removed).Endpoint);

        // The removed replica is idle once the call it had (if it had one) ends.
        Assert.Equal(heldEndpoint != "b", removed[0].Idle);
        held.Dispose();
        Assert.True(removed[0].Idle);
    }

    [Fact]
    public void Lease_Unused_CountsNeitherACallNorAnOutcome_AndEndsTheLease()
    {
        var set = new ReplicaSet<string>(["a"], _time);
        using (var used = set.Pick())
        {
            used.Complete(success: true);
        }

        var lease = set.Pick();
        Assert.Equal(1, set.States().Single().InFlight);
        lease.Unused();
        lease.Complete(success: false);
        lease.Dispose();

        var state = set.States().Single();
        Assert.Equal((1L, 0), (state.Calls, state.InFlight));
        // The lease ended unused: the failure reported after it counts for nothing.
        for (var i = 0; i < ReplicaSet<string>.FailuresToEject - 1; i++)
        {
            set.Pick().Complete(success: false);
        }

        Assert.False(set.States().Single().Ejected);
    }

    [Fact]
    public void States_CountCallsAndEjections_OnEjectedCalledOncePerEjection()
    {
        var ejected = new List<string>();
        var set = new ReplicaSet<string>(["bad", "good"], _time, onEjected: ejected.Add);

        FailUntilEjected(set, "bad");
        using (var lease = set.Pick())
        {
            Assert.Equal("good", lease.Endpoint);
            lease.Complete(success: true);
        }

        var states = set.States().ToDictionary(s => s.Endpoint);
        Assert.Equal(["bad"], ejected);
        Assert.True(states["bad"].Ejected);
        Assert.Equal(1, states["bad"].Ejections);
        Assert.False(states["good"].Ejected);
        Assert.Equal(0, states["good"].Ejections);
        Assert.True(states["good"].Calls >= 1, $"{states["good"].Calls} calls");
        Assert.True(states["bad"].Calls >= ReplicaSet<string>.FailuresToEject, $"{states["bad"].Calls} calls");
        Assert.All(states.Values, s => Assert.Equal(0, s.InFlight));

        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(set.States().Single(s => s.Endpoint == "bad").Ejected);
        Assert.Equal(1, set.States().Single(s => s.Endpoint == "bad").Ejections);
    }

    [Fact]
    public void TryPick_AvoidsTriedReplicas_NullWhenAllTriedOrEmpty()
    {
        var set = new ReplicaSet<string>(["a", "b"], _time);

        for (var i = 0; i < 20; i++)
        {
            using var lease = set.TryPick(["a"]);
            Assert.Equal("b", lease!.Endpoint);
        }

        Assert.Null(set.TryPick(["a", "b"]));
        Assert.Null(new ReplicaSet<string>([], _time).TryPick(null));
    }

    [Fact]
    public async Task Ejected_WithAHealthProbe_GetsNoTrafficUntilTheProbeSaysServing()
    {
        var serving = false;
        var probes = 0;
        var probe = new ReplicaHealthProbe<string>(
            _ =>
            {
                Interlocked.Increment(ref probes);
                return Task.FromResult(Volatile.Read(ref serving));
            },
            TimeSpan.FromMilliseconds(250));
        var set = new ReplicaSet<string>(["bad", "good"], _time, probe);
        FailUntilEjected(set, "bad");

        // However long it stays down, only probes reach it.
        for (var round = 1; round <= 3; round++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            await Eventually.WaitUntilAsync(() => Volatile.Read(ref probes) >= round, "a probe runs", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            for (var i = 0; i < 20; i++)
            {
                using var lease = set.Pick();
                Assert.Equal("good", lease.Endpoint);
            }
        }

        Volatile.Write(ref serving, true);
        await Eventually.WaitUntilAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(250));
                return set.EjectedCount() == 0;
            },
            "the probe reinstates the replica",
            TimeSpan.FromSeconds(30),
            TestContext.Current.CancellationToken);

        var picked = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            using var lease = set.Pick();
            picked.Add(lease.Endpoint);
        }

        Assert.Contains("bad", picked);
    }

    private static void FailUntilEjected(ReplicaSet<string> set, string endpoint)
    {
        var failures = 0;
        for (var attempt = 0; failures < ReplicaSet<string>.FailuresToEject && attempt < 1000; attempt++)
        {
            var lease = set.Pick();
            if (lease.Endpoint == endpoint)
            {
                lease.Complete(success: false);
                failures++;
            }
            else
            {
                lease.Dispose();
            }
        }

        Assert.Equal(ReplicaSet<string>.FailuresToEject, failures);
    }
}
