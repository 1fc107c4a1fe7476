using System.Diagnostics.Metrics;

namespace Arbor.Root.Hosting;

/// <summary>
/// The meters of the warm-up's own instruments: every meter it creates is named
/// <see cref="WarmupScorer.MeterName"/>, which no exporter reads, and belongs to this factory's
/// scope, so a listener on the host's meters (<see cref="Telemetry.Status.TrafficHistory"/>) never
/// sees the warm-up's requests, while one on this scope follows them as it would traffic.
/// </summary>
internal sealed class WarmupMeters : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(new MeterOptions(WarmupScorer.MeterName) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }
}
