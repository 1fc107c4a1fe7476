using System.Diagnostics.Metrics;

namespace Arbor.Root.Tests.Diagnostics;

/// <summary>Sums the measurements of one long counter by the values of its labels (of meters created by one factory only).</summary>
internal sealed class LabelledCounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _sums = new(StringComparer.Ordinal);

    public LabelledCounterRecorder(IMeterFactory scope, string meterName, string instrumentName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == scope && instrument.Meter.Name == meterName && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var key = Key(tags);
            lock (_sums)
            {
                _sums[key] = _sums.GetValueOrDefault(key) + value;
            }
        });
        _listener.Start();
    }

    /// <summary>The sum recorded with exactly these label values, in the order the instrument writes them (<c>feature=ctr,outcome=accepted</c>).</summary>
    public long this[string labels]
    {
        get
        {
            lock (_sums)
            {
                return _sums.GetValueOrDefault(labels);
            }
        }
    }

    /// <summary>Every label set recorded, with its sum.</summary>
    public IReadOnlyDictionary<string, long> All
    {
        get
        {
            lock (_sums)
            {
                return new Dictionary<string, long>(_sums, StringComparer.Ordinal);
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    private static string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            parts[i] = $"{tags[i].Key}={tags[i].Value}";
        }

        return string.Join(",", parts);
    }
}
