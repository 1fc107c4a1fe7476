using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Arbor.Testing;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Client;

public sealed class UnaryCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task GeneratedClient_OverTheChannelsInvoker_ListModels()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var client = new Leaf.LeafClient(channel.Invoker);

        var response = await client.ListModelsAsync(new ListModelsRequest(), cancellationToken: Ct);

        Assert.Equal(TestLeafService.Models(), response);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnaryAsync_Score_RoundTripsTheRequestThroughTheHandler()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 50);

        var response = await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);

        Assert.Equal(request, server.Leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), response);
        Assert.StartsWith("ipv4:127.0.0.1:", server.Leaf.LastPeer, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnaryAsync_Payload_TheServerReceivesExactlyTheWrittenBytes()
    {
        await using var server = await RpcTestServer.StartAsync(captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 20);
        var payload = new PartsPayload(Payloads.Parts(request));
        var bytes = payload.ToArray();
        Assert.NotEqual(request.ToByteArray(), bytes); // not the canonical encoding: re-serializing would show

        var response = await channel.UnaryAsync(LeafMethods.ScorePayload, payload, cancellationToken: Ct);

        var received = Assert.Single(server.Requests);
        Assert.Equal("/arbor.v1.Leaf/Score", received.Path);
        Assert.False(received.Compressed);
        Assert.Equal(bytes.Length, BinaryPrimitives.ReadInt32BigEndian(received.Body.AsSpan(1, 4)));
        Assert.Equal(bytes, received.Message.ToArray());
        Assert.Equal(1, payload.Writes);
        Assert.Equal(request, server.Leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), response);
    }

    [Fact(Timeout = 60_000)]
    public async Task EveryCall_SendsTheShortGrpcUserAgent()
    {
        await using var server = await RpcTestServer.StartAsync(captureRequests: true);
        using var channel = new RpcChannel(server.Address);
        var request = Payloads.LeafRequest(rows: 5);

        await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);
        await channel.UnaryAsync(LeafMethods.Score, request, cancellationToken: Ct);

        // grpc-<language>/<version> only: the runtime, OS and architecture grpc-dotnet appends cost
        // about 48 bytes on every request.
        Assert.All(server.Requests, r => Assert.Matches(@"^grpc-dotnet/\d+\.\d+\.\d+$", r.UserAgent));
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnknownMethod_Unimplemented()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        var method = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Missing, new ListModelsRequest(), cancellationToken: Ct));
        var service = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.MissingService, new ListModelsRequest(), cancellationToken: Ct));

        Assert.Equal(StatusCode.Unimplemented, method.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, service.StatusCode);
        Assert.Equal(0, server.Leaf.Calls);
    }

    [Fact(Timeout = 60_000)]
    public async Task CallerCancels_CancelledAndTheHandlerSeesIt()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "wait" }, cancellationToken: cancel.Token);
        await Wait.UntilAsync(() => server.Leaf.WaitsStarted == 1, "the handler is waiting");
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(await server.Leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        await Wait.UntilAsync(() => server.Leaf.WaitsActive == 0, "the handler ended");
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task NothingListening_Unavailable()
    {
        using var channel = new RpcChannel($"http://127.0.0.1:{LoopbackPort.Next()}", new RpcChannelOptions { ByteCounters = new ByteCounters("nothing-listening") });

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task MoreConcurrentCallsThanOneConnectionsStreams_OpensMoreConnections()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new ByteCounters("concurrency") });
        const int calls = 150; // Kestrel allows 100 concurrent streams per connection.

        var pending = Enumerable.Range(0, calls)
            .Select(_ => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "gate", RowCount = 1 }, cancellationToken: Ct))
            .ToList();
        await Wait.UntilAsync(() => server.Leaf.GateWaiters == calls, "every call waits at the gate");
        server.Leaf.Gate.SetResult();
        var responses = await Task.WhenAll(pending);

        Assert.All(responses, r => Assert.Equal(1u, r.RowCount));
        Assert.True(channel.Counters.Snapshot().ConnectionsOpened >= 2);
    }

    [Fact(Timeout = 60_000)]
    public async Task OverTls_Works()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var server = await RpcTestServer.StartAsync(certificate: certificate);
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString() },
        });

        var response = await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct);

        Assert.Equal("https", server.Address.Scheme);
        Assert.Equal(TestLeafService.Models(), response);
    }

    [Fact(Timeout = 60_000)]
    public async Task HttpOne_IsNotServed()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, "/arbor.v1.Leaf/ListModels"))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");

        // An HTTP/2-only endpoint never runs a call for an HTTP/1.1 request.
        var outcome = await Record.ExceptionAsync(async () =>
        {
            using var response = await http.SendAsync(request, Ct);
            Assert.False(response.IsSuccessStatusCode, $"HTTP/1.1 got {(int)response.StatusCode}");
            Assert.False(response.Headers.Contains("grpc-status"));
        });

        Assert.True(outcome is null or HttpRequestException, outcome?.ToString());
        Assert.Equal(0, server.Leaf.Calls);
    }

    [Fact]
    public void Address_MustBeHttpOrHttps()
    {
        Assert.Throws<ArgumentException>(() => new RpcChannel("dns:///leaf-1:5001"));
    }
}
