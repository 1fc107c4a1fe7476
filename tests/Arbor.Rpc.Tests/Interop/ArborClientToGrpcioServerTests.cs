using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Status;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Interop;

/// <summary>Arbor's client against a real gRPC server (python3-grpcio).</summary>
public sealed class ArborClientToGrpcioServerTests(PythonGrpcServer python) : IClassFixture<PythonGrpcServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnaryOk_ListModels()
    {
        using var channel = new RpcChannel(python.Address);

        var response = await channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct);

        Assert.Equal(TestLeafService.Models(), response);
    }

    [Fact]
    public async Task UnaryOk_ScoreWithFeatureColumns()
    {
        using var channel = new RpcChannel(python.Address);
        var request = Payloads.LeafRequest(rows: 40);

        var response = await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.Equal(TestLeafService.Echo(request), response);
    }

    [Fact]
    public async Task Gzip_BothWays()
    {
        using var channel = new RpcChannel(python.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("interop-gzip") });
        var request = Payloads.LeafRequest(rows: 150, model: "gzip");
        var expected = TestLeafService.Echo(request);
        expected.Scores.Add(new float[150 * 64]);

        var response = await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, new RpcCallOptions { Encoding = "gzip" }, Ct);

        Assert.Equal(expected, response);
        var wire = channel.Counters.Snapshot();
        Assert.True(wire.BytesSent < request.CalculateSize() * 0.9, $"request: {wire.BytesSent} on the wire for {request.CalculateSize()}");
        Assert.True(wire.BytesReceived < expected.CalculateSize() / 2, $"response: {wire.BytesReceived} on the wire for {expected.CalculateSize()}");
    }

    [Fact]
    public async Task ErrorStatus_NonAsciiMessage()
    {
        using var channel = new RpcChannel(python.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "fail" }, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(TestLeafService.NonAsciiMessage, error.Message);
    }

    [Fact]
    public async Task DeadlineExceeded_ClientDeadline()
    {
        using var channel = new RpcChannel(python.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, LeafScoreResponse.Parser,
            new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }, Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task DeadlineExceeded_EnforcedByTheServerFromOurGrpcTimeout()
    {
        // No local timer: only grpcio's reading of our grpc-timeout header can end the call.
        using var channel = new RpcChannel(python.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, LeafScoreResponse.Parser,
            new RpcCallOptions { Headers = [new("grpc-timeout", "300m")] }, Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task OversizedMessage_Request()
    {
        using var channel = new RpcChannel(python.Address);
        var request = Payloads.LeafRequest(rows: 400);
        Assert.True(request.CalculateSize() > PythonGrpcServer.MaxReceiveMessageSize);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task OversizedMessage_Response()
    {
        using var channel = new RpcChannel(python.Address, new RpcChannelOptions { MaxReceiveMessageSize = 10_000 });

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "big", RowCount = 100 }, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnknownMethod_Unimplemented()
    {
        using var channel = new RpcChannel(python.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Nope", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task UnsupportedEncoding_FirstCall_GrpcioAnswersInternal()
    {
        // grpcio does not answer an unknown grpc-encoding with UNIMPLEMENTED: it hands the still
        // compressed bytes to its parser, which fails (INTERNAL). The call fails cleanly.
        using var channel = new RpcChannel(python.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 50), LeafScoreResponse.Parser,
            new RpcCallOptions { Encoding = "zstd" }, Ct));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("lz4")]
    public async Task UnsupportedEncoding_OnceTheServerAdvertisedItsEncodings_CallsGoUncompressed(string encoding)
    {
        using var channel = new RpcChannel(python.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("interop-fallback-" + encoding) });
        var request = Payloads.LeafRequest(rows: 50);
        request.Columns.Add(new FeatureColumn { Name = "zeros", Floats = new FloatColumn { Values = { new float[50] } } });
        await channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct);

        var before = channel.Counters.Snapshot();
        var response = await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, new RpcCallOptions { Encoding = encoding, CompressionThreshold = 0 }, Ct);
        var sent = channel.Counters.Snapshot().BytesSent - before.BytesSent;

        Assert.Equal(TestLeafService.Echo(request), response);
        Assert.True(sent > request.CalculateSize(), $"{sent} bytes sent for a {request.CalculateSize()}-byte request");
    }
}
