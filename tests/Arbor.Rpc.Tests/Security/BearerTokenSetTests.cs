using Arbor.Rpc.Security;

namespace Arbor.Rpc.Tests.Security;

public sealed class BearerTokenSetTests
{
    private static readonly BearerTokenSet Tokens = new([new("team-a", "key-a"), new("team-b", "key-b")]);

    [Theory]
    [InlineData("Bearer key-a", "team-a")]
    [InlineData("bearer key-b", "team-b")]
    [InlineData("key-b", "team-b")]
    public void KnownToken_AuthenticatesAsItsIdentity(string header, string identity)
    {
        Assert.True(Tokens.TryAuthenticate(header, out var who));
        Assert.Equal(identity, who);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer ")]
    [InlineData("Bearer key-c")]
    [InlineData("Bearer key-a2")]
    [InlineData("Basic a2V5LWE=")]
    public void UnknownOrMissingToken_IsRefused(string? header) =>
        Assert.False(Tokens.TryAuthenticate(header, out _));
}
