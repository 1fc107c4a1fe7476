using Arbor.Rpc.Client;
using Arbor.Rpc.Tests.Fixtures;
using Grpc.Core;
using Grpc.Health.V1;

namespace Arbor.Rpc.Tests.Server;

public sealed class HealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task Check_FollowsTheReadinessChecks()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var health = new Health.HealthClient(channel.Invoker);

        var ready = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        server.Ready = false;
        var notReady = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        server.Ready = true;
        var readyAgain = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);

        // The fixture also has an untagged check that always fails: it must not count.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, ready.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, notReady.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, readyAgain.Status);
    }

    [Fact(Timeout = 60_000)]
    public async Task Check_UnknownService_NotFound()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Health.HealthClient(channel.Invoker).CheckAsync(new HealthCheckRequest { Service = "arbor.v1.Nowhere" }, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}
