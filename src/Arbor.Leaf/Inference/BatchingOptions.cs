namespace Arbor.Leaf.Inference;

/// <summary>
/// Dynamic batching of concurrent requests for one model version: requests that queue while the
/// inference slots are busy are merged into one forward of up to <see cref="MaxBatchRows"/> rows.
/// </summary>
/// <param name="Enabled">Off by default: on a CPU it rarely pays (see docs/leaf.md).</param>
/// <param name="MaxBatchRows">The most rows one merged forward carries.</param>
/// <param name="MaxDelay">How long a batch may wait for more requests once it has a slot; zero: never wait.</param>
public sealed record BatchingOptions(bool Enabled = false, int MaxBatchRows = 1024, TimeSpan MaxDelay = default)
{
    public static BatchingOptions Disabled { get; } = new();
}
