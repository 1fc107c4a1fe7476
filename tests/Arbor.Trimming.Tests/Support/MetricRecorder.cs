using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Arbor.Trimming.Tests.Support;

/// <summary>Listens to the instruments of the meters one <see cref="TestMeterFactory"/> created and sums what they record.</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double> _last = new(StringComparer.Ordinal);

    private readonly bool _countOnly;
    private long _measurements;

    /// <param name="factory">Whose meters to listen to.</param>
    /// <param name="countOnly">Only count measurements, allocating nothing (for allocation tests).</param>
    public MetricRecorder(TestMeterFactory factory, bool countOnly = false)
    {
        _countOnly = countOnly;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((MetricRecorder)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((MetricRecorder)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((MetricRecorder)state!).Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The sum recorded by <paramref name="instrument"/> with exactly these tag values (in the order recorded).</summary>
    public double Sum(string instrument, params string[] tagValues) => _sums.GetValueOrDefault(Key(instrument, tagValues));

    /// <summary>The last value an observable instrument reported for these tags (call <see cref="Collect"/> first).</summary>
    public double Last(string instrument, params string[] tagValues) => _last.GetValueOrDefault(Key(instrument, tagValues), double.NaN);

    public void Collect() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();

    /// <summary>How many measurements were recorded, over every instrument.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Interlocked.Increment(ref _measurements);
        if (_countOnly)
        {
            return;
        }

        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            values[i] = tags[i].Value?.ToString() ?? string.Empty;
        }

        var key = Key(instrument.Name, values);
        // Static lambdas: a capturing one would allocate its closure on entry, even when counting only.
        _sums.AddOrUpdate(key, static (_, v) => v, static (_, sum, v) => sum + v, value);
        _last[key] = value;
    }

    private static string Key(string instrument, string[] tagValues) => $"{instrument}|{string.Join('|', tagValues)}";
}
