using System.Buffers;
using Arbor.Features.Values;
using Arbor.FeatureStore.Native;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.FeatureStore.Tests.Native;

public sealed class PackedFeaturesTests
{
    [Fact]
    public void Merge_AnyStoredRowAndUpdates_GivesTheStoredFeaturesWithUpdatesApplied()
    {
        Prop.ForAll(
            ArbMap.Default.ArbFor<int>(),
            seed =>
            {
                var random = new Random(seed);
                var stored = RandomValues(random, allowNone: false);
                var updates = RandomValues(random, allowNone: true);
                var expected = new Dictionary<int, TypedValue>(stored);
                foreach (var (id, value) in updates)
                {
                    if (value.HasValue)
                    {
                        expected[id] = value;
                    }
                    else
                    {
                        expected.Remove(id);
                    }
                }

                var row = Pack([], stored, out _);
                var merged = Pack(row, updates, out var count);

                var actual = Unpack(merged);
                return count == expected.Count
                    && actual.Count == expected.Count
                    && expected.All(e => actual.TryGetValue(e.Key, out var v) && v.Equals(e.Value));
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Merge_UntouchedFeatures_AreCopiedByteForByte()
    {
        var row = Pack([], new Dictionary<int, TypedValue> { [3] = TypedValue.FromString("keep"), [9] = TypedValue.FromInt64(1) }, out _);

        var merged = Pack(row, new Dictionary<int, TypedValue> { [9] = TypedValue.None }, out var count);

        Assert.Equal(1, count);
        Assert.Equal(Pack([], new Dictionary<int, TypedValue> { [3] = TypedValue.FromString("keep") }, out _), merged);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0, 0 })] // unknown format
    [InlineData(new byte[] { 1, 1, 0, 0 })] // short header
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 5, 1, 0, 0 })] // float cut short
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 5, 9, 0 })] // unknown type
    [InlineData(new byte[] { 1, 2, 0, 0, 0, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0 })] // ids not ascending
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 7 })] // trailing bytes
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 5, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })] // length out of range
    public void Reader_MalformedRow_ThrowsFormatException(byte[] row)
    {
        Assert.Throws<FormatException>(() =>
        {
            var reader = new PackedFeatureReader(row);
            while (reader.MoveNext())
            {
            }
        });
    }

    private static Dictionary<int, TypedValue> RandomValues(Random random, bool allowNone)
    {
        var values = new Dictionary<int, TypedValue>();
        var count = random.Next(12);
        for (var i = 0; i < count; i++)
        {
            // Ids up to 300 need two varint bytes.
            values[1 + random.Next(300)] = random.Next(allowNone ? 7 : 6) switch
            {
                0 => TypedValue.FromFloat(random.NextSingle()),
                1 => TypedValue.FromInt64(random.NextInt64(long.MinValue, long.MaxValue)),
                2 => TypedValue.FromFloatVector([.. Enumerable.Range(0, random.Next(200)).Select(_ => random.NextSingle())]),
                3 => TypedValue.FromInt64List([.. Enumerable.Range(0, random.Next(5)).Select(_ => random.NextInt64())]),
                4 => TypedValue.FromString(new string('é', random.Next(100))),
                5 => TypedValue.FromBytes([.. Enumerable.Range(0, random.Next(3)).Select(_ => (byte)random.Next(256))]),
                _ => TypedValue.None,
            };
        }

        return values;
    }

    private static byte[] Pack(byte[] existing, Dictionary<int, TypedValue> updates, out int count)
    {
        var sorted = updates.OrderBy(u => u.Key).Select(u => new PackedFeatureUpdate(u.Key, u.Value)).ToArray();
        var output = new ArrayBufferWriter<byte>();
        count = PackedFeatures.Merge(existing, sorted, output);
        return output.WrittenSpan.ToArray();
    }

    private static Dictionary<int, TypedValue> Unpack(byte[] row)
    {
        var values = new Dictionary<int, TypedValue>();
        var reader = new PackedFeatureReader(row);
        while (reader.MoveNext())
        {
            values.Add(reader.NameId, TypedValueCodec.Decode(reader.TypeCode, reader.Payload));
        }

        return values;
    }
}
