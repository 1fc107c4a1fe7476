using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>Records the values of one long instrument of one meter.</summary>
internal sealed class LongMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<long> _values = new();

    public LongMeasurements(Meter meter, string instrument)
    {
        _listener.InstrumentPublished = (i, listener) =>
        {
            if (ReferenceEquals(i.Meter, meter) && i.Name == instrument)
            {
                listener.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => _values.Enqueue(value));
        _listener.Start();
    }

    public IReadOnlyList<long> Values => _values.ToArray();

    public void Dispose() => _listener.Dispose();
}
