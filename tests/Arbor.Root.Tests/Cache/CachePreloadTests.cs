using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;

namespace Arbor.Root.Tests.Cache;

/// <summary>The preload file's lines: <c>kind&lt;TAB&gt;id</c>, the id being the rest of the line.</summary>
public sealed class CachePreloadTests
{
    [Theory]
    [InlineData("candidate\tc1", EntityKind.Candidate, "c1")]
    [InlineData("user\tu 1", EntityKind.User, "u 1")]
    [InlineData("candidate\tid\twith\ttabs", EntityKind.Candidate, "id\twith\ttabs")]
    public void TryParse_KindTabId(string line, EntityKind kind, string id)
    {
        Assert.True(CachePreload.TryParse(line, out var parsedKind, out var parsedId));
        Assert.Equal(kind, parsedKind);
        Assert.Equal(id, parsedId);
    }

    [Theory]
    [InlineData("c1")]
    [InlineData("candidate c1")]
    [InlineData("candidate\t")]
    [InlineData("\tc1")]
    [InlineData("item\tc1")]
    [InlineData("Candidate\tc1")]
    public void TryParse_RefusesOtherLines(string line) =>
        Assert.False(CachePreload.TryParse(line, out _, out _));
}
