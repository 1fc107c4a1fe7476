using System.Security.Cryptography;
using System.Text;
using Arbor.Features.Selection;

namespace Arbor.Features.Tests.Selection;

public sealed class AllowlistHashTests
{
    [Fact]
    public void Of_IsTheSha256OfTheSortedNamesEachEndingInANewline()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("a\nb\n")));

        Assert.Equal(expected, AllowlistHash.Of(["b", "a", "b"]));
    }

    [Fact]
    public void Of_DifferentSets_Differ()
    {
        Assert.NotEqual(AllowlistHash.Of(["a", "b"]), AllowlistHash.Of(["a", "b", "c"]));
        Assert.NotEqual(AllowlistHash.Of(["ab"]), AllowlistHash.Of(["a", "b"]));
    }

    [Fact]
    public void ColumnAllowlist_Sha256_IsTheHashOfItsFeatures()
    {
        Assert.Equal(AllowlistHash.Of(["x", "y"]), new ColumnAllowlist(["y", "x"]).Sha256);
    }
}
