using Arbor.Rpc.Wire;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Rpc.Tests.Wire;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 3600_000)]
    [InlineData("2M", 120_000)]
    [InlineData("3S", 3000)]
    [InlineData("250m", 250)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2)]
    public void TryParse_EachUnit_GivesTheDuration(string header, double milliseconds)
    {
        Assert.True(GrpcTimeout.TryParse(header, out var timeout));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("-5S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void TryParse_Malformed_IsRejected(string header)
    {
        Assert.False(GrpcTimeout.TryParse(header, out _));
    }

    [Fact]
    public void Format_ThenParse_NeverShortensTheTimeoutAndKeepsEightDigits()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).Select(v => TimeSpan.FromTicks((long)v * 997)).ToArbitrary(), timeout =>
        {
            var header = GrpcTimeout.Format(timeout);
            return header.Length <= 9 && GrpcTimeout.TryParse(header, out var parsed) && parsed >= timeout &&
                   parsed - timeout <= TimeSpan.FromTicks(Math.Max(timeout.Ticks / 10_000_000, 1) * 10_000_000 / 1000 + 10_000);
        }).QuickCheckThrowOnFailure();
    }
}
