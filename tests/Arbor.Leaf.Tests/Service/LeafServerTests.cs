using System.Diagnostics;
using System.Net;
using Arbor.Contracts.V1;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Leaf.Service;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;

namespace Arbor.Leaf.Tests.Service;

public sealed class LeafServerTests(TestModelSet models, SampleModels samples) : IDisposable
{
    private readonly TempDirectory _repo = new();

    private const string Score = "/arbor.v1.Leaf/Score";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_EverySampleModelVersion_ReproducesItsGoldenScoresBitwise()
    {
        var versions = samples.Versions();
        var configs = versions.GroupBy(v => v.Model)
            .Select(g => new ModelConfig(g.Key, VersionPolicy.Specific(g.Select(v => v.Version).ToArray())))
            .ToArray();
        await using var server = await LeafServer.StartAsync(TestPartitions.Config(samples.Root, configs), cancellationToken: Ct);
        using var channel = new RpcChannel(server.GrpcAddress);
        Assert.True(server.Partition.IsReady);
        Assert.True(versions.Count >= 10, $"expected the sample repository's versions, found {versions.Count}");

        foreach (var (model, version) in versions)
        {
            var golden = GoldenFile.Load(samples.GoldenPath(model, version));
            Assert.Equal(LeaseOutcome.Acquired, server.Partition.Manager.TryAcquire(model, version, out var lease));
            var signature = lease.Version.Loaded!.Signature;
            lease.Dispose();

            var sent = Stopwatch.GetTimestamp();
            var response = await channel.CallAsync(Score, golden.ToRequest(signature, model, version, extraColumns: 3), LeafScoreResponse.Parser, cancellationToken: Ct);
            var seen = Stopwatch.GetElapsedTime(sent);

            Assert.Equal(version, response.Version);
            Assert.Equal(golden.Rows, (int)response.RowCount);
            Assert.Equal(golden.Outputs, response.Outputs.Count);
            Assert.Equal(3u, response.UnusedFeatures);
            Assert.Equal(0u, response.MissingFeatures);
            Assert.Equal(golden.Scores.Select(BitConverter.SingleToInt32Bits), response.Scores.Select(BitConverter.SingleToInt32Bits));
            // The leaf's own time is part of what the caller saw.
            Assert.InRange(response.LeafTimeUs, 1u, (uint)Math.Ceiling(seen.TotalMicroseconds));
        }
    }

    [Fact]
    public async Task Score_UnknownModelOrVersion_IsNotFound()
    {
        await using var server = await StartCtrAsync();
        using var channel = new RpcChannel(server.GrpcAddress);

        var model = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(Score, new LeafScoreRequest { Model = "nope", RowCount = 1 }, LeafScoreResponse.Parser, cancellationToken: Ct));
        var version = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(Score, ScoringCases.All[0].ToRequest("ctr", "99"), LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, model.StatusCode);
        Assert.Contains("nope", model.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, version.StatusCode);
        Assert.Contains("99", version.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_WrongShape_IsInvalidArgumentNamingTheFeature()
    {
        await using var server = await StartCtrAsync();
        using var channel = new RpcChannel(server.GrpcAddress);
        var request = new LeafScoreRequest { Model = "ctr", RowCount = 2 };
        request.Columns.Add(new FeatureColumn { Name = "v", FloatVectors = new FloatVectorColumn { Dim = 3, Values = { 1, 2, 3, 4, 5, 6 } } });

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(Score, request, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("'v'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_NativeErrorInsideForward_IsInternalAndTheServerKeepsServing()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "raw_ids", "1");
        await using var server = await LeafServer.StartAsync(
            TestPartitions.Config(repo.Path, new ModelConfig("raw_ids", VersionPolicy.Latest())), cancellationToken: Ct);
        using var channel = new RpcChannel(server.GrpcAddress);
        var bad = new ScoringCase(1, [new CaseFeature("ids", [new long[] { 5_000_000 }], [])]).ToRequest("raw_ids");

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(Score, bad, LeafScoreResponse.Parser, cancellationToken: Ct));
        var good = await channel.CallAsync(Score, ScoringCases.All[0].ToRequest("raw_ids"), LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("raw_ids", error.Message, StringComparison.Ordinal);
        Assert.Equal(6, good.Scores.Count);
    }

    [Fact]
    public async Task Score_AbsentAndUnusedFeatures_AreCounted()
    {
        await using var server = await StartCtrAsync();
        using var channel = new RpcChannel(server.GrpcAddress);
        var request = ScoringCases.All[1].ToRequest("ctr");
        request.SharedColumns.Add(new FeatureColumn { Name = "user_country", Strings = new StringColumn { Values = { "fr" } } });

        var response = await channel.CallAsync(Score, request, LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.Equal(1u, response.UnusedFeatures);
        Assert.Equal(2u, response.MissingFeatures);
        Assert.Equal(models.Expected("ctr", "2", 1), response.Scores);
        Assert.Equal(["p_click", "p_save"], response.Outputs);
    }

    [Fact]
    public async Task ListModels_ReportsVersionsStatesAndSignatureHashes()
    {
        await using var server = await StartCtrAsync();
        using var channel = new RpcChannel(server.GrpcAddress);

        var response = await channel.CallAsync("/arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct);

        var model = Assert.Single(response.Models);
        Assert.Equal("test", response.Partition);
        Assert.Equal("2", model.DefaultVersion);
        var version = Assert.Single(model.Versions);
        Assert.Equal(VersionState.Available, version.State);
        Assert.Equal(Arbor.Signatures.Archives.ModelArchiveReader.Read(models.Archive("ctr", "2")).Sha256, version.SignatureSha256);
    }

    [Fact]
    public async Task HealthEndpoints_AnswerLivenessAndReadinessOverHttp1()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var server = await LeafServer.StartAsync(TestPartitions.Config(repo.Path,
            new ModelConfig("ctr", VersionPolicy.Latest()), new ModelConfig("dense", VersionPolicy.Latest())), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.HttpAddress };

        var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        var notReady = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        models.CopyTo(repo.Path, "dense", "1");
        await server.Partition.Manager.ReconcileAsync(Ct);
        var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        var listed = await http.GetStringAsync(new Uri("/models", UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("dense", await notReady.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("VERSION_STATE_AVAILABLE", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_FailedVersionsBesideAServingOne_StayReadyAndModelsListsEveryFailure()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        TestPartitions.WriteBroken(repo.Path, "ctr", "2", "half-written");
        await using var server = await LeafServer.StartAsync(
            TestPartitions.Config(repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        using var channel = new RpcChannel(server.GrpcAddress);
        var health = new Grpc.Health.V1.Health.HealthClient(channel.Invoker);

        var readyAtStart = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        TestPartitions.WriteBroken(repo.Path, "ctr", "3", "not a TorchScript archive");
        await server.Partition.Manager.ReconcileAsync(Ct);
        var readyAfter = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        var serving = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        var listed = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri("/models", UriKind.Relative), Ct))!;

        Assert.Equal(HttpStatusCode.OK, readyAtStart.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyAfter.StatusCode);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, serving.Status);
        var model = listed["models"]![0]!;
        Assert.Equal("1", (string?)model["defaultVersion"]);
        var versions = model["versions"]!.AsArray();
        Assert.Equal(["3", "2", "1"], versions.Select(v => (string?)v!["version"]));
        Assert.Equal(["VERSION_STATE_FAILED", "VERSION_STATE_FAILED", "VERSION_STATE_AVAILABLE"], versions.Select(v => (string?)v!["state"]));
        Assert.Contains(Path.Combine("ctr", "3", "model.pt"), (string?)versions[0]!["error"], StringComparison.Ordinal);
        Assert.Contains(Path.Combine("ctr", "2", "model.pt"), (string?)versions[1]!["error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_BrokenExperimentWithNoServingVersion_PartitionStaysReady_PerModelViewShowsIt()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        models.CopyTo(repo.Path, "wrong_outputs", "1");
        await using var server = await LeafServer.StartAsync(TestPartitions.Config(repo.Path,
            new ModelConfig("ctr", VersionPolicy.Latest()), new ModelConfig("wrong_outputs", VersionPolicy.Latest(), Role: ModelRole.Experiment, Required: false)), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        using var channel = new RpcChannel(server.GrpcAddress);
        var health = new Grpc.Health.V1.Health.HealthClient(channel.Invoker);

        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        var partition = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        var production = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "arbor.v1.Leaf/ctr" }, cancellationToken: Ct);
        var experiment = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "arbor.v1.Leaf/wrong_outputs" }, cancellationToken: Ct);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "arbor.v1.Leaf/nope" }, cancellationToken: Ct).ResponseAsync);
        var listed = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri("/models", UriKind.Relative), Ct))!["models"]!.AsArray();

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, partition.Status);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, production.Status);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, experiment.Status);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var ctr = listed.Single(m => (string?)m!["name"] == "ctr")!;
        var broken = listed.Single(m => (string?)m!["name"] == "wrong_outputs")!;
        Assert.Equal(("production", true, true), ((string?)ctr["role"], (bool?)ctr["required"], (bool?)ctr["ready"]));
        Assert.Equal("experiment", (string?)broken["role"]);

        // proto3 JSON leaves out false values.
        Assert.Null(broken["required"]);
        Assert.Null(broken["ready"]);
        Assert.Null(broken["defaultVersion"]);
        Assert.Equal("VERSION_STATE_FAILED", (string?)broken["versions"]![0]!["state"]);

        // The status page shows the same: the partition ready, the experiment not serving and why.
        var page = await http.GetStringAsync(new Uri("/status", UriKind.Relative), Ct);
        Assert.Contains("id=\"readiness\">Partition test: <span class=\"ok\">ready</span>", page, StringComparison.Ordinal);
        Assert.Contains("<span class=\"model\">wrong_outputs</span></td><td>experiment</td><td>no</td><td><span class=\"bad\">no serving version</span></td>", page, StringComparison.Ordinal);
        Assert.Contains("<span class=\"model\">ctr</span></td><td>production</td><td>yes</td><td><span class=\"ok\">serving</span></td>", page, StringComparison.Ordinal);
        Assert.Contains("1: <span class=\"bad\">failed</span>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_RequiredModelBroken_NotReadyNamingIt()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        models.CopyTo(repo.Path, "wrong_outputs", "1");
        await using var server = await LeafServer.StartAsync(TestPartitions.Config(repo.Path,
            new ModelConfig("ctr", VersionPolicy.Latest()), new ModelConfig("wrong_outputs", VersionPolicy.Latest())), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        using var channel = new RpcChannel(server.GrpcAddress);
        var health = new Grpc.Health.V1.Health.HealthClient(channel.Invoker);

        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        var partition = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        var production = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = "arbor.v1.Leaf/ctr" }, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("not ready: no serving version for required wrong_outputs\n", await ready.Content.ReadAsStringAsync(Ct));
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, partition.Status);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, production.Status);
        Assert.False(server.Partition.IsReady);
    }

    [Fact]
    public async Task GrpcHealth_ServingStatusFollowsReadiness()
    {
        using var repo = new TempDirectory();
        models.CopyTo(repo.Path, "ctr", "1");
        await using var server = await LeafServer.StartAsync(TestPartitions.Config(repo.Path,
            new ModelConfig("ctr", VersionPolicy.Latest()), new ModelConfig("dense", VersionPolicy.Latest())), cancellationToken: Ct);
        using var channel = new RpcChannel(server.GrpcAddress);
        var health = new Grpc.Health.V1.Health.HealthClient(channel.Invoker);

        var before = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);
        models.CopyTo(repo.Path, "dense", "1");
        await server.Partition.Manager.ReconcileAsync(Ct);
        var after = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest(), cancellationToken: Ct);

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, before.Status);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, after.Status);
    }

    [Fact]
    public async Task Reflection_ListsTheLeafServiceAndDescribesIt()
    {
        await using var server = await StartCtrAsync();
        using var channel = new RpcChannel(server.GrpcAddress);
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel.Invoker);

        using var call = reflection.ServerReflectionInfo(cancellationToken: Ct);
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" }, Ct);
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { FileContainingSymbol = "arbor.v1.Leaf" }, Ct);
        await call.RequestStream.CompleteAsync();
        var answers = new List<Grpc.Reflection.V1Alpha.ServerReflectionResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync(Ct))
        {
            answers.Add(answer);
        }

        Assert.Equal(2, answers.Count);
        Assert.Contains("arbor.v1.Leaf", answers[0].ListServicesResponse.Service.Select(s => s.Name));
        var files = answers[1].FileDescriptorResponse.FileDescriptorProto.Select(b => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        var leaf = files.Single(f => f.Name == "arbor/v1/leaf.proto");
        Assert.Contains(leaf.Service.Single(s => s.Name == "Leaf").Method, m => m.Name == "Score" && m.InputType == ".arbor.v1.LeafScoreRequest");
    }

    [Fact]
    public async Task Score_RequestOverTheConfiguredMessageLimit_ResourceExhaustedAndTheLeafKeepsServing()
    {
        models.CopyTo(_repo.Path, "ctr", "2");
        var config = TestPartitions.Config(_repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()));
        await using var server = await LeafServer.StartAsync(config with { Server = config.Server with { MaxMessageBytes = 4096 } }, cancellationToken: Ct);
        using var channel = new RpcChannel(server.GrpcAddress);
        var small = ScoringCases.All[0].ToRequest("ctr", "2");
        var large = small.Clone();
        large.RequestId = new string('r', 8192);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(Score, large, LeafScoreResponse.Parser, cancellationToken: Ct));
        var response = await channel.CallAsync(Score, small, LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.True(small.CalculateSize() < 4096, $"the small request is {small.CalculateSize()} bytes");
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(small.RowCount, response.RowCount);
    }

    [Fact]
    public async Task Score_RowCountAboveTheLimit_InvalidArgumentBeforeAnyWork_AndTheLeafKeepsServing()
    {
        models.CopyTo(_repo.Path, "ctr", "2");
        var config = TestPartitions.Config(_repo.Path, new ModelConfig("ctr", VersionPolicy.Latest()));
        await using var server = await LeafServer.StartAsync(config, cancellationToken: Ct);
        using var channel = new RpcChannel(server.GrpcAddress);
        var tiny = new LeafScoreRequest { Model = "ctr", RowCount = 100_000 };
        var good = ScoringCases.All[0].ToRequest("ctr", "2");

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync(Score, tiny, LeafScoreResponse.Parser, cancellationToken: Ct));
        var response = await channel.CallAsync(Score, good, LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.True(tiny.CalculateSize() < 32, $"the request is {tiny.CalculateSize()} bytes");
        Assert.True(tiny.RowCount > (uint)config.Server.MaxRowsPerCall);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("row_count", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(good.RowCount, response.RowCount);
    }

    private async Task<LeafServer> StartCtrAsync()
    {
        models.CopyTo(_repo.Path, "ctr", "2");
        return await LeafServer.StartAsync(TestPartitions.Config(_repo.Path, new ModelConfig("ctr", VersionPolicy.Latest())), cancellationToken: Ct);
    }

    public void Dispose() => _repo.Dispose();
}
