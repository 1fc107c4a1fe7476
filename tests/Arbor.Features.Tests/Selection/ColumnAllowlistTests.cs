using Arbor.Features.Batches;
using Arbor.Features.Selection;
using Arbor.Features.Wire;

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

    [Fact]
    public void PositionsIn_BatchesOfManyLayoutsInTurn_AreEachColumnsPositionInTheFeatures()
    {
        var random = new Random(20261205);
        var names = Enumerable.Range(0, 40).Select(i => $"f{i}").ToArray();
        var allowlist = new ColumnAllowlist(names.Where((_, i) => i % 3 != 0));

        // Six layouts (more than the allowlist keeps), asked for in random turns; every other batch
        // names its columns with fresh strings of the same text, and one layout differs from another
        // by its last column only.
        var layouts = Enumerable.Range(0, 5)
            .Select(_ => names.OrderBy(_ => random.Next()).Take(random.Next(1, names.Length)).ToArray())
            .ToList();
        layouts.Add([.. layouts[0][..^1], layouts[0][^1] == "f1" ? "f2" : "f1"]);
        for (var round = 0; round < 200; round++)
        {
            var layout = layouts[random.Next(layouts.Count)];
            var fresh = round % 2 == 0;
            using var batch = Encode(layout.Select(n => fresh ? new string(n.AsSpan()) : n));

            var expected = layout.Select(n => allowlist.Features.ToList().IndexOf(n)).ToArray();
            Assert.Equal(expected, allowlist.PositionsIn(batch).ToArray());
        }
    }

    private static EncodedBatch Encode(IEnumerable<string> names)
    {
        var batch = new FeatureBatch(1);
        foreach (var name in names)
        {
            batch.Add(new FloatBatchColumn(name, [1f]));
        }

        return FeatureBatchEncoder.Encode(batch);
    }
}
