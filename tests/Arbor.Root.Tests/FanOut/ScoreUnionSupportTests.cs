using Arbor.Root.FanOut;
using Arbor.Rpc.Client;
using Arbor.Testing;

namespace Arbor.Root.Tests.FanOut;

/// <summary>
/// The replicas that refused ScoreUnion are remembered for <see cref="ScoreUnionSupport.RecheckAfter"/>,
/// each on its own clock, and only they are.
/// </summary>
public sealed class ScoreUnionSupportTests
{
    [Fact]
    public void Refused_RememberedUntilTheRecheckInterval_ThenAskedAgain()
    {
        var time = new ManualTimeProvider();
        var support = new ScoreUnionSupport(time);
        using var old = new RpcChannel("http://127.0.0.1:1");
        using var upgraded = new RpcChannel("http://127.0.0.1:2");

        support.Refused(old);
        time.Advance(ScoreUnionSupport.RecheckAfter - TimeSpan.FromSeconds(1));

        Assert.True(support.HasRefused(old));
        Assert.False(support.HasRefused(upgraded));

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(support.HasRefused(old));
    }

    [Fact]
    public void Refused_AgainAfterTheRecheck_RememberedForAnotherInterval()
    {
        var time = new ManualTimeProvider();
        var support = new ScoreUnionSupport(time);
        using var old = new RpcChannel("http://127.0.0.1:1");

        support.Refused(old);
        time.Advance(ScoreUnionSupport.RecheckAfter);
        support.Refused(old);
        time.Advance(ScoreUnionSupport.RecheckAfter - TimeSpan.FromSeconds(1));

        Assert.True(support.HasRefused(old));
    }
}
