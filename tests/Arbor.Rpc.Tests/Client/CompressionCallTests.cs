using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Status;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Client;

public sealed class CompressionCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Encodings => ["gzip", "lz4", "zstd"];

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Call_WithEncoding_BothDirectionsTravelCompressed(string encoding)
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("compression-test") });
        var request = Payloads.LeafRequest(rows: 200, model: "big");
        var expected = TestLeafService.Echo(request);
        expected.Scores.Add(new float[200 * 64]);

        var response = await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, new RpcCallOptions { Encoding = encoding }, Ct);

        Assert.Equal(expected, response);
        Assert.Equal(request, leaf.LastScoreRequest);
        var sent = channel.Counters.Snapshot();
        Assert.True(sent.BytesSent < request.CalculateSize() * 0.9, $"request: {sent.BytesSent} bytes on the wire for {request.CalculateSize()}");
        Assert.True(sent.BytesReceived < expected.CalculateSize() / 2, $"response: {sent.BytesReceived} bytes on the wire for {expected.CalculateSize()}");
    }

    [Fact]
    public async Task Call_BelowTheThreshold_TravelsUncompressedUnderTheEncodingHeader()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("threshold-test") });
        var request = Payloads.LeafRequest(rows: 200);

        var response = await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser,
            new RpcCallOptions { Encoding = "zstd", CompressionThreshold = int.MaxValue }, Ct);

        Assert.Equal(TestLeafService.Echo(request), response);
        Assert.True(channel.Counters.Snapshot().BytesSent > request.CalculateSize());
    }

    [Fact]
    public async Task Call_EncodingTheServerDoesNotSupport_Unimplemented()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map, options => options.Compression = new CompressionRegistry([new GzipCodec()]));
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 100), LeafScoreResponse.Parser,
            new RpcCallOptions { Encoding = "zstd" }, Ct));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("zstd", error.Message, StringComparison.Ordinal);
        Assert.Null(leaf.LastScoreRequest);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Call_CorruptCompressedRequest_InternalAndTheServerKeepsServing(string encoding)
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var liar = new RpcChannel(server.Address, new RpcChannelOptions { Compression = new CompressionRegistry([new GarbageCodec(encoding)]) });
        using var honest = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => liar.CallAsync("arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 100), LeafScoreResponse.Parser,
            new RpcCallOptions { Encoding = encoding }, Ct));
        var models = await honest.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(TestLeafService.Models(), models);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public async Task Call_SmallCompressedRequestExpandingPastTheLimit_ResourceExhausted(string encoding)
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map, options => options.MaxReceiveMessageSize = 64 * 1024);
        using var channel = new RpcChannel(server.Address);
        var request = new LeafScoreRequest { Model = "zeros", Columns = { new FeatureColumn { Name = "z", Floats = new FloatColumn { Values = { new float[100_000] } } } } };

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser,
            new RpcCallOptions { Encoding = encoding }, Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Null(leaf.LastScoreRequest);
    }

    [Fact]
    public async Task Call_ServerWithAFixedResponseEncoding_CompressesResponsesToIdentityRequests()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map, options => options.ResponseEncoding = "gzip");
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("fixed-encoding-test") });
        var request = new LeafScoreRequest { Model = "big", RowCount = 200 };

        var response = await channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.Equal(200 + 200 * 64, response.Scores.Count);
        Assert.True(channel.Counters.Snapshot().BytesReceived < response.CalculateSize() / 2);
    }

    [Fact]
    public async Task Call_UnknownEncodingOnTheClient_InvalidArgumentBeforeSending()
    {
        using var channel = new RpcChannel("http://127.0.0.1:1");

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser,
            new RpcCallOptions { Encoding = "snappy" }, Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
