using System.Diagnostics.Metrics;

namespace Arbor.Root.FanOut;

/// <summary>
/// What the fan-out puts on the network per model (meter <c>Arbor.Root</c>): leaf calls sent
/// trimmed or untrimmed, the bytes of the answers, and how long each leaf call took.
/// </summary>
public sealed class FanOutMetrics : IDisposable
{
    public const string MeterName = Diagnostics.RootMetrics.MeterName;

    // Boxed once: recording a call allocates nothing.
    private static readonly KeyValuePair<string, object?> Trimmed = new("trim", "trimmed");
    private static readonly KeyValuePair<string, object?> Untrimmed = new("trim", "untrimmed");

    private readonly Meter _meter;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _responseBytes;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _rows;
    private readonly Histogram<double> _overhead;

    /// <param name="meterFactory">Creates the meter (DI); null creates a standalone one.</param>
    /// <param name="meterName">The meter's name: another one keeps these counts out of the exported metrics (the warm-up's).</param>
    public FanOutMetrics(IMeterFactory? meterFactory = null, string meterName = MeterName)
    {
        _meter = meterFactory?.Create(meterName) ?? new Meter(meterName);
        _calls = _meter.CreateCounter<long>("arbor.root.leaf.trim.calls", "{call}", "Leaf calls by model and trim (trimmed: the model's allowlist; untrimmed: every fetched feature).");
        _responseBytes = _meter.CreateCounter<long>("arbor.root.leaf.response_bytes", "By", "Serialized leaf answer bytes (after decompression) by model.");
        _duration = _meter.CreateHistogram<double>("arbor.root.leaf.call.duration", "s", "Leaf call latency seen by the root (send to answer, any status) by model.");
        _rows = _meter.CreateCounter<long>("arbor.root.leaf.rows", "{candidate}", "Candidates the leaves scored (rows of successful leaf calls) by model.");
        _overhead = _meter.CreateHistogram<double>(
            "arbor.root.leaf.call.overhead",
            "s",
            "Successful leaf calls: the latency seen by the root minus the leaf's own time (its answer's leaf_time_us), i.e. network, HTTP/2, gRPC and decoding, by partition.");
    }

    /// <summary>Successful leaf calls kept for <see cref="Overheads"/> and <see cref="LeafTimes"/>: the most recent ones of the last minute.</summary>
    public const int TimedCallWindow = 1024;

    /// <summary>Overheads (ms) of the most recent successful leaf calls whose leaf said its own time.</summary>
    public Diagnostics.LatencyWindow Overheads { get; } = new(TimedCallWindow);

    /// <summary>The leaves' own times (ms) of the same calls as <see cref="Overheads"/>.</summary>
    public Diagnostics.LatencyWindow LeafTimes { get; } = new(TimedCallWindow);

    /// <summary>Successful leaf calls whose leaf said its own time, since start.</summary>
    public long TimedCalls => Interlocked.Read(ref _timedCalls);

    private long _timedCalls;

    /// <summary>
    /// One successful call of <paramref name="partition"/> that took <paramref name="elapsed"/> as the
    /// root saw it and <paramref name="leafTimeUs"/> at the leaf (0: the leaf did not say; not recorded).
    /// </summary>
    public void RecordLeafTime(string partition, TimeSpan elapsed, uint leafTimeUs)
    {
        if (leafTimeUs == 0)
        {
            return;
        }

        var leaf = leafTimeUs / 1000.0;
        // A leaf's clock and the root's are one machine's only on loopback: never below zero.
        var overhead = Math.Max(0, elapsed.TotalMilliseconds - leaf);
        Interlocked.Increment(ref _timedCalls);
        Overheads.Record(overhead);
        LeafTimes.Record(leaf);
        _overhead.Record(overhead / 1000.0, new KeyValuePair<string, object?>("partition", partition));
    }

    /// <summary>Counts one leaf call of <paramref name="model"/>; <paramref name="responseBytes"/> and <paramref name="rows"/> are 0 when it failed.</summary>
    public void RecordCall(string model, bool trimmed, long responseBytes, double seconds, long rows = 0)
    {
        var modelTag = new KeyValuePair<string, object?>("model", model);
        _calls.Add(1, modelTag, trimmed ? Trimmed : Untrimmed);
        _duration.Record(seconds, modelTag);
        if (responseBytes > 0)
        {
            _responseBytes.Add(responseBytes, modelTag);
        }

        if (rows > 0)
        {
            _rows.Add(rows, modelTag);
        }
    }

    public void Dispose() => _meter.Dispose();
}
