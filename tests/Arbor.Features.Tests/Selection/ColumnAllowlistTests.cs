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
    public void PositionsOf_ManyAllowlistsAskedFromSeveralThreads_AreEachColumnsPositionInTheirFeatures()
    {
        var random = new Random(20261205);
        var names = Enumerable.Range(0, 60).Select(i => $"f{i}").ToArray();
        for (var round = 0; round < 50; round++)
        {
            // Allowlists naming random features, some the batch lacks; each asked about many times
            // over, from four threads at once.
            var allowlists = Enumerable.Range(0, 6)
                .Select(_ => new ColumnAllowlist(names.OrderBy(_ => random.Next()).Take(random.Next(1, names.Length)).Append("absent")))
                .ToArray();
            var layout = names.OrderBy(_ => random.Next()).Take(random.Next(1, names.Length)).ToArray();
            var expected = allowlists
                .Select(a => layout.Select(n => a.Features.ToList().IndexOf(n)).ToArray())
                .ToArray();
            using var batch = Encode(layout);

            var seen = new int[4 * 30][];
            Parallel.For(0, seen.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
                seen[i] = batch.PositionsOf(allowlists[i % allowlists.Length]).ToArray());

            for (var i = 0; i < seen.Length; i++)
            {
                Assert.Equal(expected[i % allowlists.Length], seen[i]);
            }
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
