using System.Diagnostics.Metrics;

namespace Arbor.Root.Admission;

/// <summary>Admission control's instruments (meter <c>Arbor.Root.Admission</c>).</summary>
public sealed class AdmissionMetrics : IDisposable
{
    public const string MeterName = "Arbor.Root.Admission";

    private readonly Meter _meter;
    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _inFlight;
    private readonly UpDownCounter<long> _queued;
    private long _rejectedCount;

    public AdmissionMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _rejected = _meter.CreateCounter<long>(
            "arbor.root.admission.rejected", "{request}", "Score requests refused before any work with RESOURCE_EXHAUSTED, by reason (queue_full, deadline).");
        _inFlight = _meter.CreateUpDownCounter<long>("arbor.root.admission.in_flight", "{request}", "Score requests being worked on.");
        _queued = _meter.CreateUpDownCounter<long>("arbor.root.admission.queued", "{request}", "Score requests waiting for a turn.");
    }

    /// <summary>Requests refused since start.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejectedCount);

    internal void Rejected(AdmissionRejection reason)
    {
        Interlocked.Increment(ref _rejectedCount);
        _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason == AdmissionRejection.QueueFull ? "queue_full" : "deadline"));
    }

    internal void InFlight(int delta) => _inFlight.Add(delta);

    internal void Queued(int delta) => _queued.Add(delta);

    public void Dispose() => _meter.Dispose();
}
