using System.Net;
using System.Text;
using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.Store;
using Arbor.Testing;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Arbor.Root.Tests.Hosting;

public sealed class RootHostTests
{
    [Fact]
    public async Task Score_Surface_ScoresEveryCandidateWithEveryModel()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        var response = await cluster.ScoreAsync(RootTestCluster.Request());

        Assert.Equal("r1", response.RequestId);
        Assert.Equal(["m_a", "m_b"], response.Results.Select(r => r.Model));
        var a = response.Results[0];
        var b = response.Results[1];
        Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        for (var i = 0; i < RootTestCluster.Candidates; i++)
        {
            Assert.Equal($"c{i}", a.Candidates[i].Id);
            Assert.Equal(30f + (i / 10f) + i, a.Candidates[i].Scores[0]);
            Assert.Equal(10f + Math.Clamp(i * 40f, 0, 100) + 13f, b.Candidates[i].Scores[0]);
        }
    }

    [Theory]
    [InlineData(null, FanOutConfig.DefaultConnectionsPerReplica)]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    public async Task Score_LeafCalls_TakeTheConfiguredConnectionsPerReplica(int? configured, int expected)
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: configured is { } n
            ? config => config.Replace("\"fan_out\": {", $"\"fan_out\": {{ \"connections_per_replica\": {n},", StringComparison.Ordinal)
            : null);

        for (var i = 0; i < 2 * expected; i++)
        {
            var response = await cluster.ScoreAsync(RootTestCluster.Request());
            Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
        }

        // Each leaf saw each of the root's connections to it opened once, and no more.
        Assert.Equal(expected, cluster.LeafA.Counters.Snapshot().ConnectionsOpened);
        Assert.Equal(expected, cluster.LeafB.Counters.Snapshot().ConnectionsOpened);
    }

    [Fact]
    public async Task Score_Trimmed_SendsOnlyAllowlistedColumns_AndScoresLikeUntrimmed()
    {
        await using var trimmed = await RootTestCluster.StartAsync(trimming: true);
        await using var untrimmed = await RootTestCluster.StartAsync(trimming: false);

        var trimmedResponse = await trimmed.ScoreAsync(RootTestCluster.Request());
        var untrimmedResponse = await untrimmed.ScoreAsync(RootTestCluster.Request());

        Assert.All(trimmedResponse.Results.Concat(untrimmedResponse.Results), r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Equal(untrimmedResponse.Results.Select(Scores), trimmedResponse.Results.Select(Scores));
        Assert.All(trimmedResponse.Results, r => Assert.True(r.Trimmed));
        Assert.All(untrimmedResponse.Results, r => Assert.False(r.Trimmed));

        var sentTrimmed = trimmed.LeafA.Requests.Single();
        Assert.Subset(RootTestCluster.Uses["m_a"].ToHashSet(), Names(sentTrimmed).ToHashSet());
        var sentUntrimmed = untrimmed.LeafA.Requests.Single();
        Assert.Contains("c_unused_0", Names(sentUntrimmed));
        Assert.True(sentUntrimmed.CalculateSize() > 2 * sentTrimmed.CalculateSize());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    public async Task Score_Compressed_ScoresLikeUncompressed(string compression)
    {
        await using var plain = await RootTestCluster.StartAsync();
        await using var compressed = await RootTestCluster.StartAsync(compression: compression);

        var expected = await plain.ScoreAsync(RootTestCluster.Request());
        var actual = await compressed.ScoreAsync(RootTestCluster.Request());

        Assert.Equal(expected.Results.Select(Scores), actual.Results.Select(Scores));
    }

    [Fact]
    public async Task Score_LeafDown_GivesThatModelUnavailable_OthersStillScore()
    {
        await using var cluster = await RootTestCluster.StartAsync(leafBAddress: $"http://127.0.0.1:{Arbor.Testing.LoopbackPort.Next()}");

        var response = await cluster.ScoreAsync(RootTestCluster.Request());

        Assert.Equal(0, response.Results[0].Status.Code);
        Assert.Equal(RootTestCluster.Candidates, response.Results[0].Candidates.Count);
        Assert.Equal((int)StatusCode.Unavailable, response.Results[1].Status.Code);
        Assert.Empty(response.Results[1].Candidates);
    }

    [Fact]
    public async Task Score_LeafSlowerThanDeadline_GivesThatModelDeadlineExceeded_OthersStillScore()
    {
        await using var cluster = await RootTestCluster.StartAsync(leafTimeoutMs: 2000);
        await cluster.ScoreAsync(RootTestCluster.Request());
        cluster.LeafB.Hold();

        // The request may take 20 s; each leaf call is capped at 2 s (limits.leaf_timeout_ms).
        var response = await cluster.ScoreAsync(RootTestCluster.Request(), timeout: TimeSpan.FromSeconds(20));

        Assert.True(response.Results[0].Status.Code == 0, response.Results[0].Status.Message);
        Assert.Equal((int)StatusCode.DeadlineExceeded, response.Results[1].Status.Code);
    }

    [Fact]
    public async Task Score_FeatureStoreDown_WarmCacheKeepsServingTheSameScores()
    {
        // A real PostgreSQL store that the test stops. Cache entries expire at once, so every
        // request asks the store; once it is down, the cache serves what it holds (stale-while-error).
        using var postgres = new LocalPostgresServer();
        await using var cluster = await RootTestCluster.StartAsync(postgres: postgres, cacheTtlSeconds: 0.001);
        var warm = await cluster.ScoreAsync(RootTestCluster.Request());
        long staleServed = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "arbor.feature_cache.stale_served")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref staleServed, value));
        listener.Start();

        postgres.Stop();
        var degraded = await cluster.ScoreAsync(RootTestCluster.Request());

        Assert.All(degraded.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Equal(warm.Results.Select(Scores), degraded.Results.Select(Scores));
        Assert.True(Interlocked.Read(ref staleServed) > 0, "the store did not fail: nothing was served stale");
    }

    [Fact]
    public async Task Score_BadRequests_GetClearStatuses()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        await AssertStatus(cluster, RootTestCluster.Request(candidates: 0), StatusCode.InvalidArgument, "no candidates");
        await AssertStatus(cluster, RootTestCluster.Request(candidates: 51), StatusCode.InvalidArgument, "limit is 50");
        var unknownSurface = RootTestCluster.Request();
        unknownSurface.Surface = "search";
        await AssertStatus(cluster, unknownSurface, StatusCode.NotFound, "unknown surface 'search'");
        var unknownModel = RootTestCluster.Request();
        unknownModel.Models.Add(new ModelSelector { Name = "m_zz" });
        await AssertStatus(cluster, unknownModel, StatusCode.NotFound, "unknown model 'm_zz'");
        var malformed = RootTestCluster.Request();
        malformed.Candidates[0].Features.Add("c_ctr", new FeatureValue { StringValue = "high" });
        await AssertStatus(cluster, malformed, StatusCode.InvalidArgument, "c_ctr");
        var nonFinite = RootTestCluster.Request();
        nonFinite.Candidates[1].Features.Add("c_ctr", new FeatureValue { FloatValue = float.NaN });
        await AssertStatus(cluster, nonFinite, StatusCode.InvalidArgument, "'c_ctr' is not a finite number");
    }

    [Fact]
    public async Task Score_BytesThatAreNotAScoreRequest_AreInvalidArgument_Counted_AndTheRootGoesOn()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var requests = new MetricCollector<long>(
            cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.requests");
        var bytes = new Marshaller<byte[]>(static b => b, static b => b);
        var score = new Method<byte[], byte[]>(MethodType.Unary, "arbor.v1.Root", "Score", bytes, bytes);
        var valid = RootTestCluster.Request().ToByteArray();
        // The request cut inside its last candidate.
        var truncated = valid[..^2];

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.Channel.Invoker.AsyncUnaryCall(score, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), truncated).ResponseAsync);
        var answer = ScoreResponse.Parser.ParseFrom(await cluster.Channel.Invoker.AsyncUnaryCall(score, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), valid).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("the request is not a valid arbor.v1.ScoreRequest: the request ends inside a field", error.Status.Detail);
        Assert.All(answer.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        Assert.Equal(["InvalidArgument", "OK"], requests.GetMeasurementSnapshot().Select(m => (string)m.Tags["status"]!));
    }

    [Fact]
    public async Task Score_ClientFeatures_WinOverStoredOnes()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        request.Candidates[2].Features.Add("c_ctr", new FeatureValue { FloatValue = 7 });

        var response = await cluster.ScoreAsync(request);

        Assert.Equal(30f + 7f + 2, response.Results[0].Candidates[2].Scores[0]);
        Assert.Equal(30f + 0.1f + 1, response.Results[0].Candidates[1].Scores[0]);
    }

    [Fact]
    public async Task ScoreJson_ReturnsTheSameScoresAsGrpc()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var grpc = await cluster.ScoreAsync(RootTestCluster.Request());

        var json = Google.Protobuf.JsonFormatter.Default.Format(RootTestCluster.Request());
        using var answer = await cluster.Http.PostAsync("/v1/score", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var parsed = Google.Protobuf.JsonParser.Default.Parse<ScoreResponse>(body);
        Assert.Equal(grpc.Results.Select(Scores), parsed.Results.Select(Scores));
    }

    [Fact]
    public async Task Score_AnswersEveryEntryWithWhatTheLeafScoredForIt_OverGrpcAndJson()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request(candidates: 6);
        request.RequestId = "entries-✓";
        // Repeated ids are scored once and answered at every entry.
        request.Candidates.Add(new Candidate { Id = "c2" });
        request.Candidates.Add(new Candidate { Id = "c0" });
        int[] rows = [0, 1, 2, 3, 4, 5, 2, 0];

        var grpc = await cluster.ScoreAsync(request);
        var grpcLeaves = LastAnswers(cluster);
        var json = await ScoreJsonAsync(cluster, request);
        var jsonLeaves = LastAnswers(cluster);

        foreach (var (response, leaves) in new[] { (grpc, grpcLeaves), (json, jsonLeaves) })
        {
            Assert.Equal(request.RequestId, response.RequestId);
            Assert.Equal(["m_a", "m_b"], response.Results.Select(r => r.Model));
            foreach (var result in response.Results)
            {
                var leaf = leaves[result.Model];
                Assert.True(result.Status.Code == 0, result.Status.Message);
                Assert.Equal(6u, leaf.RowCount);
                Assert.Equal(leaf.Version, result.Version);
                Assert.Equal(leaf.Outputs, result.Outputs);
                Assert.Equal(request.Candidates.Select(c => c.Id), result.Candidates.Select(c => c.Id));
                var outputs = leaf.Outputs.Count;
                for (var entry = 0; entry < rows.Length; entry++)
                {
                    Assert.Equal(leaf.Scores.Skip(rows[entry] * outputs).Take(outputs), result.Candidates[entry].Scores);
                }
            }
        }

        static Dictionary<string, LeafScoreResponse> LastAnswers(RootTestCluster cluster) => new()
        {
            ["m_a"] = cluster.LeafA.Responses.Last(r => r.Model == "m_a"),
            ["m_b"] = cluster.LeafB.Responses.Last(r => r.Model == "m_b"),
        };

        static async Task<ScoreResponse> ScoreJsonAsync(RootTestCluster cluster, ScoreRequest request)
        {
            var body = Google.Protobuf.JsonFormatter.Default.Format(request);
            using var answer = await cluster.Http.PostAsync("/v1/score", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            var text = await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, text);
            return Google.Protobuf.JsonParser.Default.Parse<ScoreResponse>(text);
        }
    }

    [Fact]
    public async Task ScoreJson_Malformed_Answers400WithTheProblem()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        using var answer = await cluster.Http.PostAsync("/v1/score", new StringContent("{\"surface\": 12, \"candidates\": [", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("InvalidArgument", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigReload_UnderLoad_DropsNoRequest_AndTakesEffect()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        using var stop = new CancellationTokenSource();
        var failures = 0;
        var completed = 0;
        var load = Task.Run(
            async () =>
        {
            while (!stop.IsCancellationRequested && completed < 5000)
            {
                try
                {
                    var response = await cluster.ScoreAsync(RootTestCluster.Request());
                    if (response.Results.Any(r => r.Status.Code != 0))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failures);
                }

                Interlocked.Increment(ref completed);
            }
        },
            TestContext.Current.CancellationToken);

        var updated = RootTestCluster.Config(true, "identity", cluster.LeafA.Address, cluster.LeafB.Address)
            .Replace("\"models\": [\"m_a\", \"m_b\"]", "\"models\": [\"m_a\"]", StringComparison.Ordinal);
        var temporary = cluster.ConfigPath + ".tmp";
        await File.WriteAllTextAsync(temporary, updated, TestContext.Current.CancellationToken);
        File.Move(temporary, cluster.ConfigPath, overwrite: true);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        ScoreResponse latest;
        do
        {
            latest = await cluster.ScoreAsync(RootTestCluster.Request());
        }
        while (latest.Results.Count != 1 && DateTime.UtcNow < deadline);

        await stop.CancelAsync();
        await load;
        Assert.Equal(["m_a"], latest.Results.Select(r => r.Model));
        Assert.Equal(0, failures);
        Assert.True(completed > 0);
    }

    [Fact]
    public async Task StandardServices_HealthServesAndReflectionDescribesTheRoot()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var health = await new Grpc.Health.V1.Health.HealthClient(cluster.Channel.Invoker)
            .CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);
        using var call = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(cluster.Channel.Invoker)
            .ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        var services = new List<string>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            services.AddRange(answer.ListServicesResponse.Service.Select(s => s.Name));
        }

        // The Score method's file, found by its symbol (what grpcurl asks before a call).
        using var lookup = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(cluster.Channel.Invoker)
            .ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);
        await lookup.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { FileContainingSymbol = "arbor.v1.Root.Score" }, TestContext.Current.CancellationToken);
        await lookup.RequestStream.CompleteAsync();
        var files = new List<string>();
        await foreach (var answer in lookup.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            files.AddRange(answer.FileDescriptorResponse.FileDescriptorProto.Select(f => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(f).Name));
        }

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Contains("arbor.v1.Root", services);
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("arbor/v1/root.proto", files);
    }

    [Fact]
    public async Task Score_HugeUnknownSurfaceName_NotFoundWithACappedMessage()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        request.Surface = new string('s', 1024 * 1024);

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(error.Status.Detail), 16, Arbor.Rpc.Server.RpcServerOptions.MaxStatusDetailBytes);
        Assert.StartsWith("unknown surface 'sss", error.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task AssertStatus(RootTestCluster cluster, ScoreRequest request, StatusCode code, string messagePart)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Names(LeafScoreRequest request) =>
        request.Columns.Select(c => c.Name).Concat(request.SharedColumns.Select(c => c.Name));

    private static string Scores(ModelResult result) =>
        string.Join(";", result.Candidates.Select(c => c.Id + "=" + string.Join(",", c.Scores.Select(s => BitConverter.SingleToInt32Bits(s)))));
}
