using System.Diagnostics.Metrics;
using Arbor.Root.Hosting;
using Arbor.Telemetry.Status;
using Arbor.Testing;

namespace Arbor.Root.Tests.Hosting;

/// <summary>The per-model traffic behind the status page, fed by instruments named as the root's.</summary>
public sealed class TrafficHistoryTests : IDisposable
{
    private static readonly TimeSpan Slot = TimeSpan.FromSeconds(10);

    private readonly object _scope = new();
    private readonly Meter _meter;
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _saved;
    private readonly ManualTimeProvider _time = new();
    private readonly TrafficHistory _history;

    public TrafficHistoryTests()
    {
        _meter = new Meter(new MeterOptions("traffic-test") { Scope = _scope });
        var names = RootStatusPage.Instruments;
        _calls = _meter.CreateCounter<long>(names.Calls);
        _duration = _meter.CreateHistogram<double>(names.Duration, "s");
        _rows = _meter.CreateCounter<long>(names.Rows!);
        _saved = _meter.CreateCounter<long>(names.BytesSaved!);
        _history = new TrafficHistory(names, _scope, _time, Slot, slots: 6);
    }

    [Fact]
    public void Snapshot_OneSlot_ErrorRateP99BucketAndBytesSavedPerCandidate()
    {
        for (var i = 0; i < 99; i++)
        {
            Call("m", "OK", 0.002, rows: 10, saved: 500);
        }

        Call("m", "Unavailable", 0.4, rows: 0, saved: 0);
        Call("other", "OK", 0.02, rows: 4, saved: 0);

        var snapshot = _history.Snapshot();
        var last = snapshot["m"][^1];

        Assert.Equal(["m", "other"], snapshot.Keys);
        Assert.Equal(6, snapshot["m"].Count);
        Assert.Equal((100, 1), (last.Calls, last.Errors));
        Assert.Equal(0.01, last.ErrorRate);
        Assert.Equal(0.0025, last.P99Seconds);
        Assert.Equal(50, last.BytesSavedPerCandidate);
        Assert.All(snapshot["m"].Take(5), p => Assert.Equal((0, null), (p.Calls, p.P99Seconds)));
        Assert.Equal((1, 0, 0.025), (snapshot["other"][^1].Calls, snapshot["other"][^1].Errors, snapshot["other"][^1].P99Seconds!.Value));
    }

    [Fact]
    public void Snapshot_ClientErrors_AreCountedApartFromServerErrors()
    {
        Call("m", "OK", 0.002, rows: 1, saved: 0);
        Call("m", "NotFound", 0.002, rows: 0, saved: 0);
        Call("m", "InvalidArgument", 0.002, rows: 0, saved: 0);
        Call("m", "DeadlineExceeded", 0.002, rows: 0, saved: 0);

        var last = _history.Snapshot()["m"][^1];

        Assert.Equal((4L, 1L, 2L), (last.Calls, last.Errors, last.ClientErrors));
        Assert.Equal(0.25, last.ErrorRate);
    }

    [Fact]
    public void Snapshot_SlowTailAboveOnePercent_P99IsItsBucket()
    {
        for (var i = 0; i < 97; i++)
        {
            Call("m", "OK", 0.002, rows: 1, saved: 0);
        }

        for (var i = 0; i < 3; i++)
        {
            Call("m", "OK", 0.4, rows: 1, saved: 0);
        }

        Assert.Equal(0.5, _history.Snapshot()["m"][^1].P99Seconds);
    }

    [Fact]
    public void Snapshot_SlotsMoveWithTheClock_AndOldOnesLeaveTheWindow()
    {
        Call("m", "OK", 0.002, rows: 1, saved: 0);
        _time.Advance(Slot);
        Call("m", "Internal", 0.002, rows: 0, saved: 0);

        var two = _history.Snapshot()["m"];
        _time.Advance(Slot * 5);
        var gone = _history.Snapshot()["m"];

        Assert.Equal([(1L, 0L), (1L, 1L)], two.TakeLast(2).Select(p => (p.Calls, p.Errors)));
        Assert.Equal(Slot, two[^1].Start - two[^2].Start);
        Assert.Equal(1, gone.Sum(p => p.Calls));
        Assert.Equal(1, gone[0].Errors);
    }

    [Fact]
    public void Listener_ReadsOnlyItsOwnScope()
    {
        using var otherMeter = new Meter(new MeterOptions("traffic-test") { Scope = new object() });
        otherMeter.CreateCounter<long>(RootStatusPage.Instruments.Calls).Add(5, new KeyValuePair<string, object?>("model", "m"), new KeyValuePair<string, object?>("status", "OK"));

        Assert.Empty(_history.Snapshot());
    }

    public void Dispose()
    {
        _history.Dispose();
        _meter.Dispose();
    }

    private void Call(string model, string status, double seconds, long rows, long saved)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        _calls.Add(1, tag, new KeyValuePair<string, object?>("status", status));
        _duration.Record(seconds, tag);
        _rows.Add(rows, tag);
        _saved.Add(saved, tag);
    }
}
