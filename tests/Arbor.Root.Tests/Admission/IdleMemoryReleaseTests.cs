using Arbor.Root.Admission;
using Arbor.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Root.Tests.Admission;

/// <summary>The heap a burst grew goes back once the root is idle after serving: once per idle period, never under traffic.</summary>
public sealed class IdleMemoryReleaseTests
{
    private readonly ManualTimeProvider _time = new();
    private long _finished;
    private int _inFlight;
    private int _released;

    private IdleMemoryRelease Create() =>
        new(() => _finished, () => _inFlight, TimeSpan.FromSeconds(10), _time, NullLogger<IdleMemoryRelease>.Instance, () => _released++);

    [Fact]
    public void IdleAfterServing_ReleasesOnce_ThenAgainOnlyAfterMoreTraffic()
    {
        using var release = Create();
        _finished = 100;
        release.Check();
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(release.Check());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(release.Check());
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(release.Check()); // still idle: nothing more to give back
        _finished++;
        release.Check();
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(release.Check());

        Assert.Equal(2, _released);
        Assert.Equal(2, release.Releases);
    }

    [Fact]
    public void NeverServed_OrUnderTraffic_OrWithARequestInFlight_NothingIsReleased()
    {
        using var release = Create();
        for (var second = 0; second < 30; second++)
        {
            release.Check(); // a fresh root that has served nothing
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        for (var second = 0; second < 30; second++)
        {
            _finished++; // one request a second: never idle
            release.Check();
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        _inFlight = 1; // a slow request holds its turn: the root is not idle
        for (var second = 0; second < 30; second++)
        {
            release.Check();
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, _released);
        _inFlight = 0;
        release.Check();
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(release.Check());
    }
}
