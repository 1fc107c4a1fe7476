using Arbor.Root.Diagnostics;
using Arbor.Testing;

namespace Arbor.Root.Tests.Diagnostics;

/// <summary>Percentiles of the recent samples: nearest-rank over the last span, read without copying the ring into fresh arrays.</summary>
public sealed class LatencyWindowTests
{
    [Fact]
    public void Percentiles_AreTheNearestRankOfTheRecentSamples()
    {
        var time = new ManualTimeProvider();
        var window = new LatencyWindow(capacity: 64, time: time);
        var random = new Random(7);
        var samples = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var value = Math.Round(random.NextDouble() * 100, 2);
            samples.Add(value);
            window.Record(value);
        }

        samples.Sort();
        double[] asked = [0, 1, 50, 90, 99, 100];
        var expected = asked.Select(p => samples[Math.Clamp((int)Math.Ceiling(p / 100.0 * samples.Count) - 1, 0, samples.Count - 1)]).ToArray();

        Assert.Equal(expected, window.Percentiles(asked));
        var results = new double[asked.Length];
        window.Percentiles(asked, results);
        Assert.Equal(expected, results);
    }

    [Fact]
    public void Percentiles_OfASmallWindowReadAfterALargerOne_SeeOnlyTheirOwnSamples()
    {
        var time = new ManualTimeProvider();
        var large = new LatencyWindow(capacity: 1000, time: time);
        for (var i = 1; i <= 1000; i++)
        {
            large.Record(i);
        }

        var small = new LatencyWindow(capacity: 4, time: time);
        small.Record(2);
        small.Record(1);

        Assert.Equal([1000], large.Percentiles(100));
        Assert.Equal([1, 2], small.Percentiles(50, 100));
        Assert.Equal([0], new LatencyWindow(capacity: 4, time: time).Percentiles(99));
    }

    [Fact]
    public void Percentiles_IntoACallersBuffer_AllocateNothingOnceWarm()
    {
        var time = new ManualTimeProvider();
        var window = new LatencyWindow(capacity: 8192, time: time);
        for (var i = 0; i < 8192; i++)
        {
            window.Record(i % 97);
        }

        ReadOnlySpan<double> asked = [50, 90, 99];
        Span<double> results = stackalloc double[3];
        window.Percentiles(asked, results);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++)
        {
            window.Percentiles(asked, results);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A read used to copy the window (8192 samples: 64 KB) into a new list each time.
        Assert.True(allocated < 1024, $"20 reads allocated {allocated} bytes");
        Assert.Equal([48, 87, 96], results.ToArray());
    }

    [Fact]
    public void Select_AnyRankOfAnyValues_IsWhatASortPutsThere()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 400; round++)
        {
            // Few distinct values in some rounds (equal latencies), sorted or reversed input in others.
            var length = random.Next(1, round % 7 == 0 ? 3000 : 200);
            var distinct = round % 3 == 0 ? 1 + random.Next(4) : 1_000_000;
            var values = Enumerable.Range(0, length).Select(_ => (double)random.Next(distinct) / 7).ToArray();
            if (round % 5 == 1)
            {
                Array.Sort(values);
            }
            else if (round % 5 == 2)
            {
                Array.Sort(values);
                Array.Reverse(values);
            }

            var sorted = values.Order().ToArray();
            var rank = random.Next(length);

            Assert.Equal(sorted[rank], LatencyWindow.Select(values.ToArray(), rank));
            Assert.Equal(sorted[0], LatencyWindow.Select(values.ToArray(), 0));
            Assert.Equal(sorted[^1], LatencyWindow.Select(values.ToArray(), length - 1));
        }
    }
}
