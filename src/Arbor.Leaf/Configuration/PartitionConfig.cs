using Arbor.Leaf.Inference;
using Arbor.Leaf.Native;

namespace Arbor.Leaf.Configuration;

/// <summary>
/// A leaf partition: which models it serves from which repository, on which device, and how it runs
/// them. Read from a JSON or YAML file by <see cref="PartitionConfigLoader"/> (docs/leaf.md).
/// </summary>
public sealed record PartitionConfig
{
    public required string Partition { get; init; }

    /// <summary>The repository root: <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/model.pt</c>.</summary>
    public required string Repository { get; init; }

    public required IReadOnlyList<ModelConfig> Models { get; init; }

    /// <summary>libtorch device: cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Forwards that may run at once in the partition.</summary>
    public int Concurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Requests that may wait for a forward at once; one more is shed with RESOURCE_EXHAUSTED.
    /// Default <see cref="DefaultQueuedPerSlot"/> per slot of <see cref="Concurrency"/>.
    /// </summary>
    public int MaxQueued { get; init; } = DefaultQueuedPerSlot * Environment.ProcessorCount;

    /// <summary>
    /// Queued requests per inference slot by default. A 300-row forward of the sample models takes a
    /// few milliseconds, so a slot clears this many well within a leaf timeout (800 ms by default);
    /// a longer queue would only hold calls the root has given up on.
    /// </summary>
    public const int DefaultQueuedPerSlot = 64;

    public BatchingOptions Batching { get; init; } = BatchingOptions.Disabled;

    /// <summary>How often the repository is rescanned for new and removed versions.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Also rescan soon after a file system change in the repository (a poll still runs as a fallback).</summary>
    public bool Watch { get; init; } = true;

    public TorchThreading Threads { get; init; } = new();

    public LeafServerOptions Server { get; init; } = new();

    /// <summary>OTLP export and the console log format.</summary>
    public Arbor.Telemetry.TelemetryConfig Telemetry { get; init; } = new();

    /// <summary>The batching of one model: its override or the partition's.</summary>
    public BatchingOptions BatchingFor(string model) =>
        Models.FirstOrDefault(m => m.Name == model)?.Batching ?? Batching;
}
