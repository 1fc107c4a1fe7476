using Arbor.Contracts.V1;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using BenchmarkDotNet.Attributes;

namespace Arbor.Benchmarks.Leaf;

/// <summary>
/// Dynamic batching on a CPU: <see cref="Clients"/> concurrent Score calls of <see cref="Rows"/>
/// rows each on one model, with batching off and on (concurrency 2, one intra-op thread each).
/// One operation = all calls answered; lower is more throughput.
/// </summary>
[MemoryDiagnoser]
public class LeafBatchingBenchmarks
{
    private LeafPartition _partition = null!;
    private LeafScoreRequest _request = null!;

    [Params("homefeed_ctr/3", "related_mt/3")]
    public string Model { get; set; } = "";

    [Params(false, true)]
    public bool Batching { get; set; }

    [Params(1, 16)]
    public int Rows { get; set; }

    [Params(32)]
    public int Clients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (name, version) = (Model.Split('/')[0], Model.Split('/')[1]);
        var config = new PartitionConfig
        {
            Partition = "bench",
            Repository = LeafBenchmarkData.Repository,
            Models = [new ModelConfig(name, VersionPolicy.Specific(version))],
            Concurrency = 2,
            Watch = false,
            PollInterval = TimeSpan.FromHours(1),
            Batching = new BatchingOptions(Batching, 1024),
        };
        _partition = new LeafPartition(config);
        _partition.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _partition.Manager.TryAcquire(name, version, out var lease);
        using (lease)
        {
            _request = LeafBenchmarkData.Request(Model, lease.Version.Loaded!.Signature, Rows);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _partition.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public async Task<int> ConcurrentCalls()
    {
        var calls = new Task<LeafScoreResponse>[Clients];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = Task.Run(() => _partition.Scorer.ScoreAsync(_request, null, CancellationToken.None));
        }

        var responses = await Task.WhenAll(calls);
        return responses.Length;
    }
}
