using System.Net;
using Arbor.Contracts.V1;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf;
using Grpc.Core;

namespace Arbor.Rpc.Tests.Server;

public sealed class UnimplementedCallFallbackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 60_000)]
    [InlineData("/arbor.v1.Leaf/Nope")]
    [InlineData("/arbor.v1.Nowhere/ListModels")]
    [InlineData("/")]
    public async Task UnknownServiceOrMethod_TrailersOnlyUnimplemented(string path)
    {
        await using var server = await RpcTestServer.StartAsync();

        var response = await RawGrpc.CallAsync(server.Address, path, RawGrpc.Frame(new ListModelsRequest().ToByteArray(), compressed: false), [], Ct);

        Assert.Equal(200, response.HttpStatus);
        Assert.Equal((int)StatusCode.Unimplemented, response.GrpcStatus);
        Assert.Equal("The service or method is not implemented.", response.GrpcMessage);
        Assert.Empty(response.Frames);
        Assert.Equal(0, server.Leaf.Calls);
    }

    [Fact(Timeout = 60_000)]
    public async Task KnownMethod_StillServed()
    {
        await using var server = await RpcTestServer.StartAsync();

        var response = await RawGrpc.CallAsync(server.Address, "/arbor.v1.Leaf/ListModels", RawGrpc.Frame(new ListModelsRequest().ToByteArray(), compressed: false), [], Ct);

        Assert.Equal(0, response.GrpcStatus);
        Assert.Equal(TestLeafService.Models(), ListModelsResponse.Parser.ParseFrom(Assert.Single(response.Frames).Message));
    }

    [Fact(Timeout = 60_000)]
    public async Task RequestThatIsNotGrpc_NotFound()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var handler = new SocketsHttpHandler { UseProxy = false };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "/nothing-here"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
    }
}
