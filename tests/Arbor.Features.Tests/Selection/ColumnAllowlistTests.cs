using Arbor.Features.Selection;

namespace Arbor.Features.Tests.Selection;

public sealed class ColumnAllowlistTests
{
    [Fact]
    public void Constructor_Duplicates_CountedOnceAndSorted()
    {
        var allowlist = new ColumnAllowlist(["b", "a", "b"]);

        Assert.Equal(2, allowlist.Count);
        Assert.Equal(["a", "b"], allowlist.Features);
    }

    [Fact]
    public void Contains_IsOrdinalAndCaseSensitive()
    {
        var allowlist = new ColumnAllowlist(["pin_ctr"]);

        Assert.True(allowlist.Contains("pin_ctr"));
        Assert.False(allowlist.Contains("PIN_CTR"));
    }

    [Fact]
    public void Constructor_EmptyOrBlankNames_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ColumnAllowlist([]));
        Assert.Throws<ArgumentException>(() => new ColumnAllowlist(["a", ""]));
    }

    [Fact]
    public void TrimDecision_AllowlistOnlyForResolvedOutcomes()
    {
        Assert.Throws<ArgumentException>(() => new TrimDecision("m", TrimOutcome.Exact, "1", null));
        Assert.Throws<ArgumentException>(() => new TrimDecision("m", TrimOutcome.UnknownModel, null, new ColumnAllowlist(["a"])));
        Assert.True(TrimDecision.PassThrough("m").IsPassThrough);
    }
}
