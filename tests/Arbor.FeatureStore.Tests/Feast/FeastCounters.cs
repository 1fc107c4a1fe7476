using System.Diagnostics.Metrics;
using Arbor.FeatureStore.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>Listens to one source's meter.</summary>
internal sealed class FeastCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, long Value, Dictionary<string, object?> Tags)> _measurements = [];

    public FeastCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, Metrics?.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        Metrics = new FeastSourceMetrics();
        _listener.Start();
    }

    public FeastSourceMetrics Metrics { get; }

    public long Total(string name)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Name == name).Sum(m => m.Value);
        }
    }

    public long Count(string name, string feature, string problem)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Name == name && Equals(m.Tags["feature"], feature) && Equals(m.Tags["problem"], problem)).Sum(m => m.Value);
        }
    }

    public long CountTagged(string name, string tag, object value)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Name == name && Equals(m.Tags[tag], value)).Sum(m => m.Value);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
    }
}
