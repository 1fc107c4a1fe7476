using Arbor.Root.Configuration;

namespace Arbor.Root.Admission;

/// <summary>The bounds admission control runs with, resolved from <see cref="AdmissionConfig"/>.</summary>
/// <param name="MaxInFlight">Requests worked on at once.</param>
/// <param name="MaxQueued">Requests waiting for a turn.</param>
public sealed record AdmissionOptions(int MaxInFlight, int MaxQueued)
{
    /// <summary>
    /// Requests in flight per core when unset. A 300-candidate request keeps a root core busy for
    /// most of its life (feature fetch, preprocessing, encoding, parsing the leaves' answers), so a
    /// root saturates its cores at one to two requests in flight per core (docs/benchmarks.md,
    /// overload); four per core keeps the cores fed while some requests wait on leaves.
    /// </summary>
    public const int InFlightPerCore = 4;

    /// <summary>Queued requests per in-flight slot when unset: what the slots can start within a deadline or two.</summary>
    public const int QueuedPerSlot = 4;

    public static AdmissionOptions From(AdmissionConfig config, int processorCount)
    {
        ArgumentNullException.ThrowIfNull(config);
        var inFlight = config.MaxInFlight ?? InFlightPerCore * Math.Max(1, processorCount);
        return new AdmissionOptions(inFlight, config.MaxQueued ?? QueuedPerSlot * inFlight);
    }
}
