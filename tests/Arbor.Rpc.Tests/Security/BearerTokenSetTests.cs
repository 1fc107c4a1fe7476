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

    [Fact]
    public void Check_TellsAMissingCredentialFromAWrongOne_AndReadsXApiKeyWhenThereIsNoAuthorization()
    {
        Assert.Equal(CredentialCheck.Missing, Tokens.Check(null, null, out _));
        Assert.Equal(CredentialCheck.Missing, Tokens.Check("", " ", out _));
        Assert.Equal(CredentialCheck.Invalid, Tokens.Check("Bearer key-c", null, out _));
        Assert.Equal(CredentialCheck.Invalid, Tokens.Check(null, "key-c", out _));
        Assert.Equal(CredentialCheck.Accepted, Tokens.Check(null, "key-b", out var who));
        Assert.Equal("team-b", who);
        // authorization, when present, is the credential: a wrong one is not rescued by x-api-key.
        Assert.Equal(CredentialCheck.Invalid, Tokens.Check("Bearer key-c", "key-a", out _));
    }

    [Fact]
    public void LongAndNonAsciiTokens_AreCheckedByTheirWholeUtf8Bytes()
    {
        var longToken = new string('k', 5000) + "é";
        var set = new BearerTokenSet([new("long", longToken), new("accent", "clé-ü")]);

        Assert.Equal(CredentialCheck.Accepted, set.Check("Bearer " + longToken, null, out var first));
        Assert.Equal(CredentialCheck.Invalid, set.Check("Bearer " + longToken[..^1] + "e", null, out _));
        Assert.Equal(CredentialCheck.Accepted, set.Check(null, "clé-ü", out var second));
        Assert.Equal(("long", "accent"), (first, second));
    }

    [Fact]
    public void Check_AllocatesNothing()
    {
        var header = "Bearer key-b";
        Tokens.Check(header, null, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Tokens.Check(header, null, out _);
            Tokens.Check(null, "key-c", out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void FromDigests_AuthenticatesTheTokensWhoseDigestsItHolds()
    {
        Assert.True(BearerTokenSet.TryParseDigest("sha256:" + Convert.ToHexStringLower(BearerTokenSet.Digest("key-a")), out var a));
        Assert.True(BearerTokenSet.TryParseDigest("SHA256:" + Convert.ToHexString(BearerTokenSet.Digest("key-b")), out var b));
        var set = BearerTokenSet.FromDigests([new("team-a", a), new("team-b", b)]);

        Assert.Equal(CredentialCheck.Accepted, set.Check("Bearer key-a", null, out var first));
        Assert.Equal(CredentialCheck.Accepted, set.Check(null, "key-b", out var second));
        Assert.Equal(("team-a", "team-b"), (first, second));
        Assert.Equal(CredentialCheck.Invalid, set.Check("Bearer sha256:" + Convert.ToHexStringLower(a), null, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256:")]
    [InlineData("md5:0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void TryParseDigest_RefusesAnythingButSha256AndSixtyFourHexDigits(string? text) =>
        Assert.False(BearerTokenSet.TryParseDigest(text, out _));
}
