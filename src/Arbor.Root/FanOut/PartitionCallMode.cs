namespace Arbor.Root.FanOut;

/// <summary>How the models of one request that go to the same partition are sent (<c>fan_out.partition_calls</c>).</summary>
public enum PartitionCallMode
{
    /// <summary>One Score call per model, each with its own trimmed columns.</summary>
    PerModel,

    /// <summary>One ScoreUnion call per partition carrying the union of its models' columns once.</summary>
    Union,

    /// <summary>Per request and partition, the union call when it is smaller than the per-model calls together.</summary>
    Auto,
}
