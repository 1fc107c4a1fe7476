using System.Globalization;
using Arbor.Signatures.Bundles;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Signatures.Tests.Bundles;

public sealed class ModelVersionComparerTests
{
    [Fact]
    public void Compare_NumericVersions_OrdersByValue()
    {
        Prop.ForAll<uint, uint>((a, b) =>
        {
            var expected = Math.Sign(a.CompareTo(b));
            var actual = Math.Sign(ModelVersionComparer.Instance.Compare(a.ToString(CultureInfo.InvariantCulture), b.ToString(CultureInfo.InvariantCulture)));
            return expected == actual;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Latest_MixedVersions_PrefersGreatestNumeric()
    {
        Assert.Equal("10", ModelVersionComparer.Latest(["9", "10", "2", "beta"]));
        Assert.Equal("beta", ModelVersionComparer.Latest(["alpha", "beta"]));
    }
}
