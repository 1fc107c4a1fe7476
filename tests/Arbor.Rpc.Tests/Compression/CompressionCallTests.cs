using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Compression;

public sealed class CompressionCallTests
{
    /// <summary>
    /// Bytes a compressed call may spend beyond the identity call's framing: its
    /// <c>grpc-encoding</c> header (a new HPACK literal, about 20 bytes) in each direction, and a
    /// few HTTP/2 control frames (WINDOW_UPDATE 13 bytes, PING 17) whose timing differs between
    /// two calls. Far below what any codec saves on these payloads (checked first).
    /// </summary>
    private const int EncodingHeaderSlack = 128;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Encodings => Codecs.Encodings;

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task BothDirections_TheWireCarriesNoMoreThanTheCodecsOutputPlusFraming(string encoding)
    {
        await using var server = await RpcTestServer.StartAsync();
        var counters = new ByteCounters("compression-" + encoding);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = counters });
        var request = Payloads.LeafRequest(rows: 200, model: "big");
        var expected = TestLeafService.Big(request);
        var requestBytes = request.ToByteArray();
        var responseBytes = expected.ToByteArray();
        var requestCompressed = Codecs.Compress(encoding, requestBytes).Length;
        var responseCompressed = Codecs.Compress(encoding, responseBytes).Length;
        // What makes the test able to fail: uncompressed bytes would not fit under the bounds below.
        Assert.True(requestCompressed + EncodingHeaderSlack < requestBytes.Length, $"{encoding}: {requestCompressed} of {requestBytes.Length}");
        Assert.True(responseCompressed + EncodingHeaderSlack < responseBytes.Length, $"{encoding}: {responseCompressed} of {responseBytes.Length}");

        // Connection set-up and the first HPACK literals go to a warm-up call.
        await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct);
        var (start, _) = await Traffic.SettledAsync(counters, server.Counters);
        var identity = await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);
        var (afterIdentity, _) = await Traffic.SettledAsync(counters, server.Counters);
        var compressed = await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding }, Ct);
        var (afterCompressed, _) = await Traffic.SettledAsync(counters, server.Counters);

        Assert.Equal(expected, identity);
        Assert.Equal(expected, compressed);
        Assert.Equal(request, server.Leaf.LastScoreRequest);
        var identityCall = afterIdentity - start;
        var compressedCall = afterCompressed - afterIdentity;
        var requestFraming = identityCall.BytesSent - requestBytes.Length;
        var responseFraming = identityCall.BytesReceived - responseBytes.Length;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{encoding}: request {requestBytes.Length} B → codec {requestCompressed} B, wire {identityCall.BytesSent} B identity / {compressedCall.BytesSent} B compressed; " +
            $"response {responseBytes.Length} B → codec {responseCompressed} B, wire {identityCall.BytesReceived} B identity / {compressedCall.BytesReceived} B compressed");
        Assert.True(requestFraming > 0 && responseFraming > 0, $"identity call: {identityCall}");
        Assert.True(compressedCall.BytesSent <= requestCompressed + requestFraming + EncodingHeaderSlack,
            $"request: {compressedCall.BytesSent} bytes on the wire; {encoding} makes {requestCompressed} of {requestBytes.Length}, framing {requestFraming}");
        Assert.True(compressedCall.BytesReceived <= responseCompressed + responseFraming + EncodingHeaderSlack,
            $"response: {compressedCall.BytesReceived} bytes on the wire; {encoding} makes {responseCompressed} of {responseBytes.Length}, framing {responseFraming}");
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task Payload_IsCompressedFromExactlyTheWrittenBytes(string encoding)
    {
        await using var server = await RpcTestServer.StartAsync(captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);
        var payload = new PartsPayload(Payloads.Parts(request));
        await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct); // the server lists its encodings

        var response = await channel.UnaryAsync(LeafMethods.ScorePayload, payload, new RpcCallOptions { Encoding = encoding }, Ct);

        var received = server.Requests[^1];
        Assert.Equal(encoding, received.Encoding);
        Assert.True(received.Compressed);
        Assert.Equal(payload.ToArray(), Codecs.Decompress(encoding, received.Message.ToArray()));
        Assert.Equal(request, server.Leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), response);
    }

    [Fact(Timeout = 60_000)]
    public async Task Threshold_SmallerRequestsTravelUncompressed()
    {
        await using var server = await RpcTestServer.StartAsync(captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        var small = Payloads.LeafRequest(rows: 2);
        var large = Payloads.LeafRequest(rows: 100);
        Assert.True(small.CalculateSize() < new RpcChannelOptions().CompressionThreshold);
        Assert.True(large.CalculateSize() > new RpcChannelOptions().CompressionThreshold);

        await channel.UnaryAsync(LeafMethods.Score, small, new RpcCallOptions { Encoding = "zstd" }, Ct);
        await channel.UnaryAsync(LeafMethods.Score, large, new RpcCallOptions { Encoding = "zstd" }, Ct);
        await channel.UnaryAsync(LeafMethods.Score, large, new RpcCallOptions { Encoding = "zstd", CompressionThreshold = int.MaxValue }, Ct);
        await channel.UnaryAsync(LeafMethods.Score, small, new RpcCallOptions { Encoding = "zstd", CompressionThreshold = 0 }, Ct);

        var received = server.Requests;
        Assert.Equal(4, received.Count);
        Assert.Equal([false, true, false, true], received.Select(r => r.Compressed));
        Assert.Equal(["", "zstd", "", "zstd"], received.Select(r => r.Encoding));
        Assert.Equal(small.ToByteArray(), received[0].Message.ToArray());
        Assert.Equal(large.ToByteArray(), received[2].Message.ToArray());
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task MinimumSaving_CompressionThatSavesLess_IsSkippedButProbed_ThatSavesMore_IsKept(string encoding)
    {
        await using var server = await RpcTestServer.StartAsync(captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);
        var bytes = request.ToByteArray();
        var ratio = (double)Codecs.Compress(encoding, bytes).Length / bytes.Length;
        var saving = 1 - ratio;
        // A minimum above what the codec saves on this request, and one below it.
        var above = Math.Min(0.99, saving + 0.05);
        var below = saving - 0.05;
        Assert.True(below > 0, $"{encoding} saves {saving:P1} of {bytes.Length} bytes");
        await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct); // the server lists its encodings
        var calls = 1 + (2 * CompressionYield.ProbeInterval);

        for (var i = 0; i < calls; i++)
        {
            Assert.Equal(TestLeafService.Echo(request), await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding, MinCompressionSaving = above }, Ct));
        }

        var skipping = server.Requests.Skip(1).ToList();
        Assert.Equal(calls, skipping.Count);
        // The first call measures the codec; after it one call in ProbeInterval compresses.
        var compressedAt = skipping.Select((r, i) => (r, i)).Where(p => p.r.Compressed).Select(p => p.i).ToList();
        Assert.Equal([0, CompressionYield.ProbeInterval, 2 * CompressionYield.ProbeInterval], compressedAt);
        Assert.All(skipping.Where(r => !r.Compressed), r => Assert.Equal(bytes, r.Message.ToArray()));
        Assert.Equal(ratio, channel.CompressionRatio(encoding), 9);

        for (var i = 0; i < 4; i++)
        {
            await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding, MinCompressionSaving = below }, Ct);
        }

        Assert.All(server.Requests.Skip(1 + calls), r => Assert.True(r.Compressed && r.Encoding == encoding));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task Server_AnswersInTheRequestsEncoding(string encoding)
    {
        await using var server = await RpcTestServer.StartAsync();
        var request = Payloads.LeafRequest(rows: 50, model: "big");
        var body = RawGrpc.Frame(Codecs.Compress(encoding, request.ToByteArray()), compressed: true);

        var response = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", body,
            [new("grpc-encoding", encoding), new("grpc-accept-encoding", "identity,gzip,lz4,zstd")], Ct);

        Assert.Equal(0, response.GrpcStatus);
        Assert.Equal(encoding, response.Encoding);
        var frame = Assert.Single(response.Frames);
        Assert.True(frame.Compressed);
        Assert.Equal(TestLeafService.Big(request), LeafScoreResponse.Parser.ParseFrom(Codecs.Decompress(encoding, frame.Message)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Server_AnswersUncompressed_WhenTheClientDoesNotAcceptTheEncodingOrTheResponseIsSmall()
    {
        await using var server = await RpcTestServer.StartAsync();
        var big = Payloads.LeafRequest(rows: 50, model: "big");
        var small = Payloads.LeafRequest(rows: 1, model: "echo");
        var headers = new KeyValuePair<string, string>[] { new("grpc-encoding", "zstd"), new("grpc-accept-encoding", "identity,gzip,lz4,zstd") };

        var notAccepted = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", RawGrpc.Frame(Codecs.Compress("zstd", big.ToByteArray()), compressed: true),
            [new("grpc-encoding", "zstd"), new("grpc-accept-encoding", "identity,gzip")], Ct);
        var belowThreshold = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", RawGrpc.Frame(Codecs.Compress("zstd", small.ToByteArray()), compressed: true), headers, Ct);

        Assert.Equal(0, notAccepted.GrpcStatus);
        Assert.Null(notAccepted.Encoding);
        Assert.False(Assert.Single(notAccepted.Frames).Compressed);
        Assert.Equal(TestLeafService.Big(big), LeafScoreResponse.Parser.ParseFrom(notAccepted.Frames[0].Message));
        Assert.Equal(0, belowThreshold.GrpcStatus);
        Assert.False(Assert.Single(belowThreshold.Frames).Compressed);
        Assert.Equal(TestLeafService.Echo(small), LeafScoreResponse.Parser.ParseFrom(belowThreshold.Frames[0].Message));
    }

    [Fact(Timeout = 60_000)]
    public async Task ServerWithAFixedResponseEncoding_CompressesResponsesToIdentityRequests()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.ResponseEncoding = "gzip");
        using var channel = new RpcChannel(server.Address);
        var request = new LeafScoreRequest { Model = "big", RowCount = 200 };

        var raw = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", RawGrpc.Frame(request.ToByteArray(), compressed: false),
            [new("grpc-accept-encoding", "identity,gzip")], Ct);
        var response = await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);

        Assert.Equal("gzip", raw.Encoding);
        Assert.True(Assert.Single(raw.Frames).Compressed);
        Assert.Equal(TestLeafService.Big(request), LeafScoreResponse.Parser.ParseFrom(Codecs.Decompress("gzip", raw.Frames[0].Message)));
        Assert.Equal(TestLeafService.Big(request), response);
    }

    [Fact(Timeout = 60_000)]
    public async Task ClientAsksAnEncodingItLacks_InvalidArgumentBeforeSending()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("unknown-encoding") });
        using var gzipOnly = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("gzip-only-client"), Compression = new CompressionRegistry([new GzipCodec()]) });
        var request = Payloads.LeafRequest(rows: 100);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = "snappy" }, Ct));
        var lacking = await Assert.ThrowsAsync<RpcException>(() => gzipOnly.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = "zstd" }, Ct));

        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, lacking.StatusCode);
        Assert.Contains("zstd", lacking.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, channel.Counters.Snapshot().ConnectionsOpened);
        Assert.Equal(0, gzipOnly.Counters.Snapshot().ConnectionsOpened);
        Assert.Equal(0, server.Leaf.Calls);
    }

    [Fact(Timeout = 60_000)]
    public async Task ServerLacksTheEncoding_GrpcDotnetAnswersUnimplementedListingWhatItAccepts()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.Compression = new CompressionRegistry([new GzipCodec()]));
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);

        // The generated client on the raw invoker: no fallback, the server's own answer.
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Leaf.LeafClient(channel.Invoker)
            .ScoreAsync(request, new CallOptions(headers: new Metadata { { "grpc-internal-encoding-request", "zstd" } }, cancellationToken: Ct)));
        var raw = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", RawGrpc.Frame(Codecs.Compress("zstd", request.ToByteArray()), compressed: true),
            [new("grpc-encoding", "zstd")], Ct);

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("zstd", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((int)StatusCode.Unimplemented, raw.GrpcStatus);
        Assert.Equal("identity,gzip", raw.AcceptEncoding);
        Assert.Equal(0, server.Leaf.Calls);
    }

    [Fact(Timeout = 60_000)]
    public async Task Server_ListsItsEncodingsOnEveryAnswer()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.Compression = new CompressionRegistry([new GzipCodec()]));

        var ok = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/ListModels", RawGrpc.Frame([], compressed: false), [], Ct);
        var failed = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/Score", RawGrpc.Frame(new LeafScoreRequest { Model = "fail" }.ToByteArray(), compressed: false), [], Ct);

        Assert.Equal(0, ok.GrpcStatus);
        Assert.Equal("identity,gzip", ok.AcceptEncoding);
        Assert.Equal((int)StatusCode.NotFound, failed.GrpcStatus);
        Assert.Equal("identity,gzip", failed.AcceptEncoding);
    }

    [Fact(Timeout = 60_000)]
    public async Task FirstCallToAServer_GoesUncompressed_LaterCallsUseWhatItListed()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.Compression = new CompressionRegistry([new GzipCodec()]), captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);

        var first = await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = "gzip" }, Ct);
        var gzip = await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = "gzip" }, Ct);
        var zstd = await channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = "zstd" }, Ct);

        Assert.All([first, gzip, zstd], response => Assert.Equal(TestLeafService.Echo(request), response));
        // Before any answer the channel does not know what the server reads; it listed identity,gzip:
        // zstd is never sent to it, so it never has to reject anything.
        Assert.Equal(["", "gzip", ""], server.Requests.Select(r => r.Encoding));
        Assert.Equal([false, true, false], server.Requests.Select(r => r.Compressed));
        Assert.Equal(3, server.Leaf.Calls);
    }

    [Fact(Timeout = 60_000)]
    public async Task ServerRedeployedWithoutTheEncoding_UnimplementedThenTheChannelRetriesUncompressedAndRemembers()
    {
        var request = Payloads.LeafRequest(rows: 100);
        var zstd = new RpcCallOptions { Encoding = "zstd" };
        await using var full = await RpcTestServer.StartAsync(captureRequests: true);
        await using var gzipOnly = await RpcTestServer.StartAsync(options => options.Compression = new CompressionRegistry([new GzipCodec()]), captureRequests: true);
        // The channel's address stays; what answers there changes, as when a leaf is redeployed.
        await using var address = new TcpRelay(new IPEndPoint(IPAddress.Loopback, full.Address.Port));
        var counters = new ByteCounters("redeployed");
        using var channel = new RpcChannel($"http://127.0.0.1:{address.Port}", new RpcChannelOptions { ByteCounters = counters });
        await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);
        await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);
        Assert.Equal(["", "zstd"], full.Requests.Select(r => r.Encoding));

        address.Upstream = new IPEndPoint(IPAddress.Loopback, gzipOnly.Address.Port);
        await full.DisposeAsync();
        await Wait.UntilAsync(() => counters.Snapshot().ConnectionsActive == 0, "the channel saw the old server go");
        var retried = await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);
        var next = await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);

        Assert.Equal(TestLeafService.Echo(request), retried);
        Assert.Equal(TestLeafService.Echo(request), next);
        // The channel still believed zstd was read there: zstd once (UNIMPLEMENTED from grpc-dotnet,
        // never reaching the handler), the same call again uncompressed, and the next call
        // uncompressed from the start.
        Assert.Equal(["zstd", "", ""], gzipOnly.Requests.Select(r => r.Encoding));
        Assert.Equal(2, gzipOnly.Leaf.Calls);
    }

    [Fact(Timeout = 60_000)]
    public async Task ServerRedeployedWithTheEncoding_TheChannelLearnsItFromTheNextAnswer()
    {
        var request = Payloads.LeafRequest(rows: 100);
        var zstd = new RpcCallOptions { Encoding = "zstd" };
        await using var gzipOnly = await RpcTestServer.StartAsync(options => options.Compression = new CompressionRegistry([new GzipCodec()]), captureRequests: true);
        await using var full = await RpcTestServer.StartAsync(captureRequests: true);
        await using var address = new TcpRelay(new IPEndPoint(IPAddress.Loopback, gzipOnly.Address.Port));
        var counters = new ByteCounters("gained");
        using var channel = new RpcChannel($"http://127.0.0.1:{address.Port}", new RpcChannelOptions { ByteCounters = counters });
        // Identity calls in between: once the list is known they do not read it again, a call
        // asking for an encoding the list lacks does.
        await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);
        await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);
        await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);
        Assert.Equal(["", "", ""], gzipOnly.Requests.Select(r => r.Encoding));

        address.Upstream = new IPEndPoint(IPAddress.Loopback, full.Address.Port);
        await gzipOnly.DisposeAsync();
        await Wait.UntilAsync(() => counters.Snapshot().ConnectionsActive == 0, "the channel saw the old server go");
        await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);
        await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);
        var compressed = await channel.UnaryAsync(LeafMethods.Score, request, zstd, Ct);

        Assert.Equal(TestLeafService.Echo(request), compressed);
        // The identity call is not read for the list; the first zstd call goes uncompressed and
        // reads the new list from its answer; the next one compresses.
        Assert.Equal(["", "", "zstd"], full.Requests.Select(r => r.Encoding));
        Assert.Equal([false, false, true], full.Requests.Select(r => r.Compressed));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task CorruptCompressedRequest_InternalAndTheServerKeepsServing(string encoding)
    {
        await using var server = await RpcTestServer.StartAsync();
        using var liar = new RpcChannel(server.Address, new RpcChannelOptions { Compression = new CompressionRegistry([new GarbageCodec(encoding)]) });
        using var honest = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);
        await liar.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct); // the server lists its encodings
        await honest.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<RpcException>(() => liar.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding }, Ct));
        var again = await Assert.ThrowsAsync<RpcException>(() => liar.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding }, Ct));
        var response = await honest.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding }, Ct);

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(StatusCode.Internal, again.StatusCode);
        Assert.Equal(TestLeafService.Echo(request), response);
        Assert.Equal(3, server.Leaf.Calls);
        Assert.Empty(server.Logs.Errors);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task SmallCompressedRequestExpandingPastTheServerLimit_ResourceExhausted(string encoding)
    {
        const int limit = 64 * 1024;
        await using var server = await RpcTestServer.StartAsync(options => options.MaxReceiveMessageSize = limit);
        using var channel = new RpcChannel(server.Address);
        var bomb = new LeafScoreRequest { Model = "zeros", Columns = { new FeatureColumn { Name = "z", Floats = new FloatColumn { Values = { new float[100_000] } } } } };
        Assert.True(Codecs.Compress(encoding, bomb.ToByteArray()).Length < limit / 4);
        await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct); // the server lists its encodings

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, bomb, new RpcCallOptions { Encoding = encoding }, Ct));
        var ok = await channel.UnaryAsync(LeafMethods.Score, Payloads.LeafRequest(rows: 10), new RpcCallOptions { Encoding = encoding, CompressionThreshold = 0 }, Ct);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(10u, ok.RowCount);
        Assert.Equal(2, server.Leaf.Calls);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Encodings))]
    public async Task SmallCompressedResponseExpandingPastTheClientLimit_ResourceExhausted(string encoding)
    {
        const int limit = 64 * 1024;
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { MaxReceiveMessageSize = limit });
        var request = new LeafScoreRequest { Model = "big", RowCount = 2000 };
        var response = TestLeafService.Big(request).ToByteArray();
        Assert.True(response.Length > 4 * limit);
        Assert.True(Codecs.Compress(encoding, response).Length < limit / 4);
        await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct); // the server lists its encodings

        // The server answers in the request's encoding, so the request goes compressed whatever its size.
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, request, new RpcCallOptions { Encoding = encoding, CompressionThreshold = 0 }, Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(2, server.Leaf.Calls);
    }
}
