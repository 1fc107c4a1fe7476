using System.Text;
using Arbor.Contracts.V1;
using Arbor.Rpc.Client;
using Arbor.Rpc.Server;
using Arbor.Rpc.Tests.Fixtures;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Arbor.Rpc.Tests.Client;

public sealed class StatusTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task HandlerThrowsRpcException_ClientGetsItsCodeAndNonAsciiMessage()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "fail" }, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(TestLeafService.NonAsciiMessage, error.Status.Detail);
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task HandlerThrowsRpcExceptionWithAHugeMessage_SameCodeMessageCapped()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);
        var model = "missing-" + new string('x', 1 << 20);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = model }, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.StartsWith(TestLeafService.MissingPrefix + "missing-xxxx", error.Status.Detail, StringComparison.Ordinal);
        Assert.EndsWith("…", error.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(Encoding.UTF8.GetByteCount(error.Status.Detail), RpcServerOptions.MaxStatusDetailBytes - 8, RpcServerOptions.MaxStatusDetailBytes);
    }

    [Fact(Timeout = 60_000)]
    public async Task HandlerThrowsAPlainException_InternalWithAGenericMessage_TheDetailIsOnlyLogged()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "boom" }, cancellationToken: Ct));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.DoesNotContain("secret", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", error.Status.Detail, StringComparison.Ordinal);
        var logged = Assert.Single(server.Logs.Errors);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Equal("secret internal detail", logged.Exception?.Message);
        Assert.Contains("/arbor.v1.Leaf/Score", logged.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task AfterAHandlerFailure_TheServerKeepsServingOnTheSameConnection()
    {
        await using var server = await RpcTestServer.StartAsync();
        using var channel = new RpcChannel(server.Address, new RpcChannelOptions { ByteCounters = new Arbor.Rpc.Accounting.ByteCounters("after-failure") });

        await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(LeafMethods.Score, new LeafScoreRequest { Model = "boom" }, cancellationToken: Ct));
        var models = await channel.UnaryAsync(LeafMethods.ListModels, new ListModelsRequest(), cancellationToken: Ct);

        Assert.Equal(TestLeafService.Models(), models);
        Assert.Equal(1, channel.Counters.Snapshot().ConnectionsOpened);
    }

    [Theory]
    [InlineData("short", "short")]
    [InlineData("", "")]
    public void Cap_ShortMessages_Unchanged(string detail, string expected)
    {
        Assert.Same(detail, StatusDetail.Cap(detail));
        Assert.Equal(expected, StatusDetail.Cap(detail));
    }

    [Fact]
    public void Cap_CutsOnWholeCharacters_NeverInsideASurrogatePairOrAMultiByteCharacter()
    {
        // 3-byte '模' and 4-byte '😀' (a surrogate pair), repeated well past the limit.
        var detail = string.Concat(Enumerable.Repeat("模😀a", 1000));

        var capped = StatusDetail.Cap(detail, 100);

        Assert.True(Encoding.UTF8.GetByteCount(capped) <= 100);
        Assert.True(Encoding.UTF8.GetByteCount(capped) > 100 - 3 - 4 - 1);
        Assert.EndsWith("…", capped, StringComparison.Ordinal);
        Assert.StartsWith(capped[..^1], detail, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(capped[^2]));
        Assert.Equal(capped, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(capped)));
    }
}
