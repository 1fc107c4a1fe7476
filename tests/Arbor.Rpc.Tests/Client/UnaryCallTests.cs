using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Arbor.Rpc.Status;
using Arbor.Rpc.Tests.Fixtures;
using Arbor.Rpc.Wire;
using Arbor.Testing;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Client;

public sealed class UnaryCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Call_ListModels_ReturnsTheHandlersResponse()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);

        var response = await channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct);

        Assert.Equal(TestLeafService.Models(), response);
    }

    [Fact]
    public async Task Call_Score_RoundTripsTheRequestThroughTheHandler()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 50);

        var response = await channel.CallAsync("/arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.Equal(request, leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), response);
        Assert.StartsWith("ipv4:127.0.0.1:", leaf.LastPeer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_PreEncodedPayload_IsSentAsWrittenAndParsedAsTheWholeMessage()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 20);
        var assembled = Payloads.AssembleFromParts(request);

        var response = await channel.CallAsync("arbor.v1.Leaf/Score", RpcPayload.FromBytes(assembled), LeafScoreResponse.Parser, cancellationToken: Ct);

        Assert.Equal(request, leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), response);
    }

    [Fact]
    public async Task Call_HandlerThrowsRpcException_ClientGetsItsCodeAndNonAsciiMessage()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "fail" }, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(TestLeafService.NonAsciiMessage, error.Message);
    }

    [Fact]
    public async Task Call_HandlerThrowsOtherException_InternalWithoutTheExceptionDetail()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "boom" }, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_UnknownMethod_Unimplemented()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Explode", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("/arbor.v1.Leaf/Explode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_DeadlinePasses_DeadlineExceededAndTheHandlerIsCancelled()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, LeafScoreResponse.Parser,
                new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }, Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(await leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.NotNull(leaf.LastDeadline);
    }

    [Fact]
    public async Task Call_ServerEnforcesTheDeadlineItReceives()
    {
        // The client's own timer is far later than the header it sends, so only the server can end the call.
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, LeafScoreResponse.Parser,
                new RpcCallOptions { Headers = [new("grpc-timeout", "200m")] }, Ct));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("Deadline exceeded.", error.Message);
    }

    [Fact]
    public async Task Call_CallerCancels_CancelledAndTheHandlerSeesIt()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, LeafScoreResponse.Parser, cancellationToken: cancel.Token);
        await leaf.WaitStarted.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(await leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Call_RequestOverTheServerLimit_ResourceExhausted()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map, options => options.MaxReceiveMessageSize = 4096);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 100);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", request, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Null(leaf.LastScoreRequest);
    }

    [Fact]
    public async Task Call_ResponseOverTheClientLimit_ResourceExhausted()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { MaxReceiveMessageSize = 10_000 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "big", RowCount = 100 }, LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Call_RequestOverTheClientSendLimit_FailsBeforeSending()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { MaxSendMessageSize = 1000 });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 10), LeafScoreResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, channel.Counters.Snapshot().ConnectionsOpened);
    }

    [Fact]
    public async Task Call_NothingListening_Unavailable()
    {
        using var channel = new RpcChannel($"http://127.0.0.1:{Arbor.Testing.LoopbackPort.Next()}");

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task Call_MoreConcurrentCallsThanOneConnectionsStreams_OpensMoreConnections()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var channel = new RpcChannel(server.Address);
        const int calls = 150; // Kestrel allows 100 concurrent streams per connection.

        var pending = Enumerable.Range(0, calls)
            .Select(_ => channel.CallAsync("arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "gate", RowCount = 1 }, LeafScoreResponse.Parser, cancellationToken: Ct))
            .ToList();
        await WaitUntilAsync(() => leaf.GateWaiters == calls);
        leaf.Gate.SetResult();
        var responses = await Task.WhenAll(pending);

        Assert.All(responses, r => Assert.Equal(1u, r.RowCount));
        Assert.True(channel.Counters.Snapshot().ConnectionsOpened >= 2);
    }

    [Fact]
    public async Task Call_OverTls_Works()
    {
        using var certificate = TestCertificates.SelfSigned();
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map, certificate: certificate);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString() },
        });

        var response = await channel.CallAsync("arbor.v1.Leaf/ListModels", new ListModelsRequest(), ListModelsResponse.Parser, cancellationToken: Ct);

        Assert.Equal("https", server.Address.Scheme);
        Assert.Equal(TestLeafService.Models(), response);
    }

    [Fact]
    public async Task Call_HttpOne_IsRejected()
    {
        var leaf = new TestLeafService();
        await using var server = await RpcTestServer.StartAsync(leaf.Map);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/arbor.v1.Leaf/ListModels"))
        {
            Version = System.Net.HttpVersion.Version11,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };

        // Kestrel on an HTTP/2-only endpoint answers an HTTP/1.1 request with an error, never a call.
        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    internal static Task WaitUntilAsync(Func<bool> condition) =>
        Eventually.WaitUntilAsync(condition, "the condition holds", TimeSpan.FromSeconds(20), Ct);
}
