using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Arbor.Telemetry.Status;

/// <summary>
/// Per-model traffic over the last minutes, for the status page: a <see cref="MeterListener"/> on
/// the same instruments the metrics exporters read (so the page and the dashboards agree), folded
/// into fixed time slots (calls, server and client errors as <see cref="StatusClasses"/> tells them apart, a latency histogram on <see cref="LatencyBuckets"/>,
/// candidates, bytes saved by trimming). Only the instruments of one meter scope (the host's
/// <see cref="IMeterFactory"/>) are read, so two hosts in one process keep their own.
/// </summary>
public sealed class TrafficHistory : IDisposable
{
    private static readonly double[] Bounds = [.. LatencyBuckets.Seconds];

    private readonly MeterListener _listener = new();
    private readonly TrafficInstruments _instruments;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ModelSlots> _models = new(StringComparer.Ordinal);

    /// <param name="instruments">What to read.</param>
    /// <param name="scope">The meters' scope (their <see cref="IMeterFactory"/>); null reads every meter.</param>
    /// <param name="slot">The length of one slot.</param>
    /// <param name="slots">How many slots are kept.</param>
    public TrafficHistory(TrafficInstruments instruments, object? scope, TimeProvider time, TimeSpan slot, int slots)
    {
        ArgumentNullException.ThrowIfNull(instruments);
        _instruments = instruments;
        _time = time;
        Slot = slot;
        SlotCount = slots;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((scope is null || ReferenceEquals(instrument.Meter.Scope, scope)) && Kind(instrument.Name) != Measure.None)
            {
                listener.EnableMeasurementEvents(instrument, Kind(instrument.Name));
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => Record((Measure)state!, value, 0, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => Record((Measure)state!, 0, value, tags));
        _listener.Start();
    }

    private enum Measure
    {
        None,
        Calls,
        Duration,
        Rows,
        BytesSaved,
    }

    /// <summary>The length of one slot.</summary>
    public TimeSpan Slot { get; }

    /// <summary>How many slots are kept (the window is <see cref="Slot"/> × this).</summary>
    public int SlotCount { get; }

    /// <summary>Every model seen, oldest slot first, empty slots included.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TrafficPoint>> Snapshot()
    {
        var now = SlotIndex(_time.GetUtcNow());
        var result = new SortedDictionary<string, IReadOnlyList<TrafficPoint>>(StringComparer.Ordinal);
        foreach (var (model, slots) in _models)
        {
            result[model] = slots.Read(now, SlotCount, Slot);
        }

        return result;
    }

    public void Dispose() => _listener.Dispose();

    private Measure Kind(string name) =>
        name == _instruments.Calls ? Measure.Calls
        : name == _instruments.Duration ? Measure.Duration
        : name == _instruments.Rows ? Measure.Rows
        : name == _instruments.BytesSaved ? Measure.BytesSaved
        : Measure.None;

    private long SlotIndex(DateTimeOffset at) => at.UtcTicks / Slot.Ticks;

    private void Record(Measure measure, long count, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? model = null;
        var outcome = StatusClass.Ok;
        foreach (var tag in tags)
        {
            if (tag.Key == "model")
            {
                model = tag.Value as string;
            }
            else if (tag.Key == "status")
            {
                outcome = StatusClasses.Of(tag.Value as string);
            }
        }

        if (model is null)
        {
            return;
        }

        var slots = _models.GetOrAdd(model, static _ => new ModelSlots());
        slots.Add(SlotIndex(_time.GetUtcNow()), SlotCount, measure, count, seconds, outcome);
    }

    /// <summary>A ring of slots for one model; a slot is reset when its index comes round again.</summary>
    private sealed class ModelSlots
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<long, SlotData> _slots = [];

        public void Add(long index, int keep, Measure measure, long count, double seconds, StatusClass outcome)
        {
            lock (_gate)
            {
                if (!_slots.TryGetValue(index, out var slot))
                {
                    _slots.Remove(index - keep);
                    slot = _slots[index] = new SlotData();
                }

                switch (measure)
                {
                    case Measure.Calls:
                        slot.Calls += count;
                        slot.Errors += outcome == StatusClass.ServerError ? count : 0;
                        slot.ClientErrors += outcome == StatusClass.ClientError ? count : 0;
                        break;
                    case Measure.Duration:
                        var bucket = Array.BinarySearch(Bounds, seconds);
                        slot.Latency[bucket < 0 ? ~bucket : bucket]++;
                        break;
                    case Measure.Rows:
                        slot.Rows += count;
                        break;
                    case Measure.BytesSaved:
                        slot.BytesSaved += count;
                        break;
                }
            }
        }

        public TrafficPoint[] Read(long now, int keep, TimeSpan length)
        {
            var points = new TrafficPoint[keep];
            lock (_gate)
            {
                foreach (var stale in _slots.Keys.Where(k => k <= now - keep).ToList())
                {
                    _slots.Remove(stale);
                }

                for (var i = 0; i < keep; i++)
                {
                    var index = now - keep + 1 + i;
                    var start = new DateTimeOffset(index * length.Ticks, TimeSpan.Zero);
                    points[i] = _slots.TryGetValue(index, out var slot)
                        ? new TrafficPoint(start, slot.Calls, slot.Errors, slot.ClientErrors, slot.P99(), slot.Rows, slot.BytesSaved)
                        : new TrafficPoint(start, 0, 0, 0, null, 0, 0);
                }
            }

            return points;
        }
    }

    private sealed class SlotData
    {
        public long Calls;
        public long Errors;
        public long ClientErrors;
        public long Rows;
        public long BytesSaved;
        public readonly long[] Latency = new long[Bounds.Length + 1];

        /// <summary>The upper bound of the bucket holding the 99th percentile (the last bound when above it).</summary>
        public double? P99()
        {
            var total = Latency.Sum();
            if (total == 0)
            {
                return null;
            }

            var rank = (long)Math.Ceiling(total * 0.99);
            long seen = 0;
            for (var i = 0; i < Latency.Length; i++)
            {
                seen += Latency[i];
                if (seen >= rank)
                {
                    return Bounds[Math.Min(i, Bounds.Length - 1)];
                }
            }

            return Bounds[^1];
        }
    }
}
