using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;

namespace Arbor.Rpc.Tests.Server;

public sealed class ReflectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task ListServices_IncludesLeafHealthAndReflection()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        var response = await AskAsync(channel, new ServerReflectionRequest { ListServices = "" });

        var names = response.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("arbor.v1.Leaf", names);
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", names);
    }

    [Fact(Timeout = 60_000)]
    public async Task FileContainingSymbol_Leaf_DescribesTheService()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        var response = await AskAsync(channel, new ServerReflectionRequest { FileContainingSymbol = "arbor.v1.Leaf" });

        var files = response.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        var leaf = Assert.Single(files, f => f.Name == "arbor/v1/leaf.proto");
        Assert.Equal("arbor.v1", leaf.Package);
        var service = Assert.Single(leaf.Service);
        Assert.Equal("Leaf", service.Name);
        // Every method the service declares, in its order (the compiled descriptor is the reference).
        Assert.Equal(Arbor.Contracts.V1.Leaf.Descriptor.Methods.Select(m => m.Name), service.Method.Select(m => m.Name));
        Assert.Equal(".arbor.v1.LeafScoreRequest", service.Method[0].InputType);
    }

    [Fact(Timeout = 60_000)]
    public async Task Disabled_TheServiceIsNotThere()
    {
        await using var server = await RpcTestServer.StartAsync(options => options.EnableReflection = false);
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => AskAsync(channel, new ServerReflectionRequest { ListServices = "" }));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    private static async Task<ServerReflectionResponse> AskAsync(RpcChannel channel, ServerReflectionRequest request)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel.Invoker).ServerReflectionInfo(cancellationToken: Ct);
        await call.RequestStream.WriteAsync(request, Ct);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(Ct));
        var response = call.ResponseStream.Current;
        Assert.False(await call.ResponseStream.MoveNext(Ct));
        return response;
    }
}
