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
