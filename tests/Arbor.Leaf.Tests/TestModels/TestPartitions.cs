using Arbor.Leaf.Configuration;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>Builds partitions over test repositories.</summary>
internal static class TestPartitions
{
    public static PartitionConfig Config(string repository, params ModelConfig[] models) => new()
    {
        Partition = "test",
        Repository = repository,
        Models = models,
        Concurrency = 2,
        Watch = false,
        PollInterval = TimeSpan.FromSeconds(5),
        // Ports from below the ephemeral range: a port 0 listener's port could be taken as a source port by a parallel test's connection before the server binds it.
        Server = new LeafServerOptions("127.0.0.1", LoopbackPort.Next(), LoopbackPort.Next()),
    };

    public static PartitionConfig WithBatching(this PartitionConfig config, BatchingOptions batching) => config with { Batching = batching };

    public static async Task<LeafPartition> StartAsync(
        PartitionConfig config, TimeProvider? time = null, LeafMetrics? metrics = null, IModelVersionLoader? loader = null)
    {
        var partition = new LeafPartition(config, time, metrics: metrics, loader: loader);
        await partition.StartAsync(TestContext.Current.CancellationToken);
        return partition;
    }

    /// <summary>Writes a <c>model.pt</c> that is not a TorchScript archive at <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;</c>.</summary>
    public static void WriteBroken(string repository, string model, string version, string content)
    {
        var folder = Path.Combine(repository, model, version);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model.pt"), content);
    }

    /// <summary>Waits for a condition with a bounded timeout (no fixed sleeps).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.WaitUntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
}
