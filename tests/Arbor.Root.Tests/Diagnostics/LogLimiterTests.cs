using Arbor.Telemetry;
using Arbor.Testing;

namespace Arbor.Root.Tests.Diagnostics;

/// <summary>A failure repeating on every request writes a few lines per interval, and the next line says how many were held back.</summary>
public sealed class LogLimiterTests
{
    [Fact]
    public void PerKey_AFewLinesPerInterval_ThenTheNextLineCountsTheHeldBackOnes()
    {
        var time = new ManualTimeProvider();
        var limiter = new LogLimiter(linesPerInterval: 3, TimeSpan.FromSeconds(10), time);

        var allowed = Enumerable.Range(0, 10).Count(_ => limiter.TryAcquire("a", out long _));
        Assert.True(limiter.TryAcquire("b", out var otherHeldBack)); // another key has its own budget
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire("a", out var heldBack));
        Assert.True(limiter.TryAcquire("a", out var afterThat));

        Assert.Equal(3, allowed);
        Assert.Equal(0, otherHeldBack);
        Assert.Equal(7, heldBack);
        Assert.Equal(0, afterThat);
    }

    [Fact]
    public void KeysBeyondTheTable_ShareOneBudget()
    {
        var limiter = new LogLimiter(linesPerInterval: 1, TimeSpan.FromHours(1), new ManualTimeProvider());
        for (var i = 0; i < LogLimiter.MaxKeys; i++)
        {
            Assert.True(limiter.TryAcquire($"model-{i}", out _));
        }

        Assert.True(limiter.TryAcquire("made-up-1", out _));
        Assert.False(limiter.TryAcquire("made-up-2", out _));
    }
}
