using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Tests.Fixtures;
using Arbor.Testing;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Interop;

/// <summary>A real gRPC client (python3-grpcio) against Arbor's server.</summary>
public sealed class GrpcioClientToArborServerTests
{
    private const int ServerMaxReceive = 64 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnaryOk_ListModels()
    {
        await using var server = await StartAsync(new TestLeafService());

        var result = await CallAsync(server, "/arbor.v1.Leaf/ListModels", new ListModelsRequest());

        Assert.Equal("OK", result.Code);
        Assert.Equal(TestLeafService.Models(), ListModelsResponse.Parser.ParseFrom(result.Response));
    }

    [Fact]
    public async Task UnaryOk_ScoreWithFeatureColumns()
    {
        var leaf = new TestLeafService();
        await using var server = await StartAsync(leaf);
        var request = Payloads.LeafRequest(rows: 40);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", request);

        Assert.Equal("OK", result.Code);
        Assert.Equal(request, leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), LeafScoreResponse.Parser.ParseFrom(result.Response));
    }

    [Fact]
    public async Task Gzip_BothWays()
    {
        var leaf = new TestLeafService();
        await using var server = await StartAsync(leaf);
        var request = Payloads.LeafRequest(rows: 150, model: "big");
        var expected = TestLeafService.Echo(request);
        expected.Scores.Add(new float[150 * 64]);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", request, "--compression", "gzip");

        Assert.Equal("OK", result.Code);
        Assert.Equal(request, leaf.LastScoreRequest);
        Assert.Equal(expected, LeafScoreResponse.Parser.ParseFrom(result.Response));
        var wire = server.Counters.Snapshot();
        Assert.True(wire.BytesReceived < request.CalculateSize() * 0.9, $"request: {wire.BytesReceived} on the wire for {request.CalculateSize()}");
        Assert.True(wire.BytesSent < expected.CalculateSize() / 2, $"response: {wire.BytesSent} on the wire for {expected.CalculateSize()}");
    }

    [Fact]
    public async Task ErrorStatus_NonAsciiMessage()
    {
        await using var server = await StartAsync(new TestLeafService());

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "fail" });

        Assert.Equal("NOT_FOUND", result.Code);
        Assert.Equal(TestLeafService.NonAsciiMessage, result.Details);
    }

    [Fact]
    public async Task DeadlineExceeded_AndTheHandlerIsCancelled()
    {
        var leaf = new TestLeafService();
        await using var server = await StartAsync(leaf);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, "--timeout", "1.0", "--warm-up");

        Assert.Equal("DEADLINE_EXCEEDED", result.Code);
        Assert.True(await leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.NotNull(leaf.LastDeadline);
    }

    [Fact]
    public async Task OversizedMessage_ResourceExhausted()
    {
        var leaf = new TestLeafService();
        await using var server = await StartAsync(leaf);
        var request = Payloads.LeafRequest(rows: 400);
        Assert.True(request.CalculateSize() > ServerMaxReceive);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", request);

        Assert.Equal("RESOURCE_EXHAUSTED", result.Code);
        Assert.Null(leaf.LastScoreRequest);
    }

    [Fact]
    public async Task UnknownMethod_Unimplemented()
    {
        await using var server = await StartAsync(new TestLeafService());

        var result = await CallAsync(server, "/arbor.v1.Leaf/Nope", new ListModelsRequest());

        Assert.Equal("UNIMPLEMENTED", result.Code);
    }

    [Fact]
    public async Task UnsupportedEncoding_Unimplemented()
    {
        // grpcio can send deflate, which Arbor does not implement.
        var leaf = new TestLeafService();
        await using var server = await StartAsync(leaf);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 50), "--compression", "deflate");

        Assert.Equal("UNIMPLEMENTED", result.Code);
        Assert.Contains("deflate", result.Details, StringComparison.Ordinal);
        Assert.Null(leaf.LastScoreRequest);
    }

    private static Task<RpcTestServer> StartAsync(TestLeafService leaf) =>
        RpcTestServer.StartAsync(leaf.Map, options =>
        {
            options.MaxReceiveMessageSize = ServerMaxReceive;
            options.Compression = CompressionRegistry.Default;
        });

    private static async Task<CallResult> CallAsync(RpcTestServer server, string method, IMessage request, params string[] extra)
    {
        using var directory = new TempDirectory("arbor-interop-");
        var requestFile = directory.Combine("request.bin");
        await File.WriteAllBytesAsync(requestFile, request.ToByteArray(), Ct);
        var output = await PythonInterop.RunAsync(
            [PythonInterop.Script("interop_client.py"), server.Authority, method, requestFile, .. extra],
            TimeSpan.FromSeconds(60),
            Ct);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        return new CallResult(
            root.GetProperty("code").GetString()!,
            root.GetProperty("details").GetString()!,
            Convert.FromBase64String(root.GetProperty("response").GetString()!));
    }

    private sealed record CallResult(string Code, string Details, byte[] Response);
}
