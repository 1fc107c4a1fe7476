using System.Buffers;
using Arbor.Features.Batches;
using Arbor.Features.Requests;
using Arbor.Features.Selection;
using Arbor.Features.Wire;
using Arbor.Root.FanOut;
using Arbor.Rpc.Marshalling;
using Arbor.Signatures.Bundles;
using Arbor.Trimming;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Options;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Benchmarks;

/// <summary>
/// Root CPU of building leaf requests for a realistic batch: 500 candidates, 400 per-row features
/// (320 floats, 40 64-d float vectors, 40 id lists of ~20 ids) plus 10 user features, and models
/// whose allowlists name 30% of them. Trim + encode must cost no more than the untrimmed encode.
/// With <see cref="MissingPercent"/> above 0, that share of each float column's rows (chosen at
/// random) has no value: those columns go out with a missing bitmap and their present rows only.
/// </summary>
[MemoryDiagnoser]
public class TrimEncodeBenchmarks
{
    private const int Candidates = 500;
    private const string Model = "homefeed_ctr";

    private static readonly Action<LeafRequestPayload, Grpc.Core.SerializationContext> Serializer = PayloadMarshaller.Create<LeafRequestPayload>().ContextualSerializer;

    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024 * 1024);
    private readonly SendBufferContext _sendBuffer = new();
    private FeatureBatch _batch = null!;
    private ColumnAllowlist[] _allowlists = null!;
    private int[] _halfTheRows = null!;
    private FeatureTrimmer _trimmer = null!;
    private ServiceProvider _services = null!;
    private string _bundleDirectory = null!;

    /// <summary>The share of each float column's rows, in percent, that has no value.</summary>
    [Params(0, 10)]
    public int MissingPercent { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20260501);
        _batch = new FeatureBatch(Candidates, 400);
        var names = new List<string>();
        for (var f = 0; f < 320; f++)
        {
            var values = new float[Candidates];
            for (var r = 0; r < Candidates; r++)
            {
                values[r] = random.NextSingle();
            }

            byte[]? missing = null;
            for (var r = 0; r < Candidates; r++)
            {
                if (random.Next(100) < MissingPercent)
                {
                    missing ??= MissingBitmap.Create(Candidates);
                    MissingBitmap.Set(missing, r);
                }
            }

            _batch.Add(new FloatBatchColumn(Name(names, $"pin_float_{f}"), values, missing));
        }

        for (var f = 0; f < 40; f++)
        {
            var values = new float[Candidates * 64];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = random.NextSingle() - 0.5f;
            }

            _batch.Add(new FloatVectorBatchColumn(Name(names, $"pin_embedding_{f}"), 64, values));
        }

        for (var f = 0; f < 40; f++)
        {
            var lengths = new int[Candidates];
            var ids = new List<long>();
            for (var r = 0; r < Candidates; r++)
            {
                lengths[r] = random.Next(0, 41);
                for (var i = 0; i < lengths[r]; i++)
                {
                    ids.Add(random.NextInt64(0, 1L << 40));
                }
            }

            _batch.Add(new Int64ListBatchColumn(Name(names, $"pin_topic_ids_{f}"), lengths, [.. ids]));
        }

        for (var f = 0; f < 10; f++)
        {
            _batch.AddShared(new FloatBatchColumn(Name(names, $"user_float_{f}"), [random.NextSingle()]));
        }

        // Three models, each allowlisting a different random 30% of the features.
        _allowlists = [.. Enumerable.Range(0, 3).Select(m => new ColumnAllowlist(names.OrderBy(_ => random.Next()).Take(names.Count * 3 / 10)))];
        _halfTheRows = [.. Enumerable.Range(0, Candidates).Where(r => r % 2 == 0)];
        _trimmer = StartTrimmer(_allowlists[0]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trimmer.Dispose();
        _services.Dispose();
        Directory.Delete(_bundleDirectory, recursive: true);
    }

    /// <summary>Untrimmed: encode every column and send them all to one model.</summary>
    [Benchmark(Baseline = true)]
    public int Untrimmed_EncodeAndWrite()
    {
        _output.ResetWrittenCount();
        using var encoded = FeatureBatchEncoder.Encode(_batch);
        return LeafRequestWriter.Write(_output, new LeafRequestHeader(Model), encoded, allowlist: null).MessageBytes;
    }

    /// <summary>Trimmed: encode every column once, look the model up, send its 30%.</summary>
    [Benchmark]
    public int Trimmed_EncodeLookupAndWrite()
    {
        _output.ResetWrittenCount();
        using var encoded = FeatureBatchEncoder.Encode(_batch);
        var decision = _trimmer.Lookup(Model, null);
        return _trimmer.Write(_output, new LeafRequestHeader(Model), encoded, decision).MessageBytes;
    }

    /// <summary>Fan-out to three models, untrimmed: one encode, three full requests.</summary>
    [Benchmark]
    public int FanOut3_Untrimmed()
    {
        using var encoded = FeatureBatchEncoder.Encode(_batch);
        var bytes = 0;
        for (var m = 0; m < _allowlists.Length; m++)
        {
            _output.ResetWrittenCount();
            bytes += LeafRequestWriter.Write(_output, new LeafRequestHeader(Model), encoded, allowlist: null).MessageBytes;
        }

        return bytes;
    }

    /// <summary>Fan-out to three models, trimmed: one encode, three requests reusing the same column bytes.</summary>
    [Benchmark]
    public int FanOut3_Trimmed()
    {
        using var encoded = FeatureBatchEncoder.Encode(_batch);
        var bytes = 0;
        for (var m = 0; m < _allowlists.Length; m++)
        {
            _output.ResetWrittenCount();
            bytes += LeafRequestWriter.Write(_output, new LeafRequestHeader(Model), encoded, _allowlists[m]).MessageBytes;
        }

        return bytes;
    }

    /// <summary>
    /// Fan-out to three models, trimmed, through the root's real request marshaller: one encode,
    /// then each leaf request written by <c>PayloadMarshaller</c> straight into a send buffer sized
    /// from the announced length (what grpc-dotnet does for an uncompressed call).
    /// </summary>
    [Benchmark]
    public int FanOut3_Trimmed_ThroughMarshaller()
    {
        using var encoded = FeatureBatchEncoder.Encode(_batch);
        var bytes = 0;
        for (var m = 0; m < _allowlists.Length; m++)
        {
            var payload = new LeafRequestPayload(new LeafRequestHeader(Model), encoded, new TrimDecision(Model, TrimOutcome.Exact, "7", _allowlists[m]));
            Serializer(payload, _sendBuffer);
            bytes += _sendBuffer.FrameLength;
        }

        return bytes;
    }

    /// <summary>The slower path: half the candidates routed to the model, re-encoded for it, allowlisted columns only.</summary>
    [Benchmark]
    public int Trimmed_RowSubset_EncodeAndWrite()
    {
        _output.ResetWrittenCount();
        using var encoded = FeatureBatchEncoder.EncodeRows(_batch, _halfTheRows, _allowlists[0]);
        return LeafRequestWriter.Write(_output, new LeafRequestHeader(Model), encoded, _allowlists[0]).MessageBytes;
    }

    /// <summary>One allowlist lookup with metrics (must allocate nothing).</summary>
    [Benchmark(OperationsPerInvoke = 4)]
    public int Lookup()
    {
        var snapshot = _trimmer.Snapshot;
        return _trimmer.Lookup(snapshot, Model, null).Allowlist!.Count
            + _trimmer.Lookup(snapshot, Model, "7").Allowlist!.Count
            + _trimmer.Lookup(snapshot, Model, "8").Allowlist!.Count
            + (_trimmer.Lookup(snapshot, "unknown_model", null).IsPassThrough ? 1 : 0);
    }

    private static string Name(List<string> names, string name)
    {
        names.Add(name);
        return name;
    }

    private FeatureTrimmer StartTrimmer(ColumnAllowlist allowlist)
    {
        _bundleDirectory = Directory.CreateTempSubdirectory("arbor-bench-").FullName;
        var path = Path.Combine(_bundleDirectory, "homefeed.json");
        var version = new BundleModelVersion(allowlist.Features, new string('a', 64));
        var document = new BundleDocument(
            BundleDocument.SchemaV1,
            "homefeed",
            DateTimeOffset.UnixEpoch,
            new Dictionary<string, BundleModel> { [Model] = new("7", new Dictionary<string, BundleModelVersion> { ["7"] = version }) });
        File.WriteAllBytes(path, BundleJson.ToUtf8Bytes(document));

        var options = new FeatureTrimmerOptions { WatchFiles = false };
        options.BundlePaths.Add(path);
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var trimmer = new FeatureTrimmer(
            Microsoft.Extensions.Options.Options.Create(options),
            new TrimmerMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<FeatureTrimmer>.Instance,
            TimeProvider.System);
        trimmer.Start();
        return trimmer;
    }
}
